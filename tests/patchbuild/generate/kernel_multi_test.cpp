// Issue 5 items 5 and 7 through the real pipeline (label "kernel", like
// kernel_generate_test.cpp, on the shared prepared tree): callbacks and
// shadow variables of examples/shadow-callbacks, and one module for three
// objects (examples/cmdline + module-nls + module-zram, whose post-patch
// callback belongs to the zram object). Checked in the
// generated lp_gen_table.h and the finished .ko; tests/vm's
// vm_patchbuild_callbacks and vm_patchbuild_multi run them.
#include <gtest/gtest.h>

#include <vector>

#include "common/file_util.hpp"
#include "patchbuild/generate/pipeline.hpp"
#include "tests/patchbuild/build/kernel_target.hpp"
#include "tests/patchbuild/generate/elf_view.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::generate {
namespace {
namespace fs = std::filesystem;

struct Built {
  std::string skip;
  std::string table;  // lp_gen_table.h
  testing::ElfView ko;
};

// Builds the examples into one module NAME; skips without the target.
Built Build(const lp::testing::TempDir& dir, const std::vector<std::string>& examples, const std::string& name) {
  Built b;
  PipelineOptions options;
  options.tree = patchbuild::testing::KernelTreeOptions(patchbuild::testing::FindTargetRelease(/*need_vmlinuz=*/true));
  if (!fs::exists(options.tree.source)) return b.skip = options.tree.source.string() + " not installed", b;
  if (options.tree.target.release.empty()) return b.skip = "no target with headers and vmlinuz installed", b;
  for (const auto& example : examples) {
    auto patch = tree::ParsePatch(fs::path(LP_SOURCE_DIR) / "examples" / example);
    EXPECT_TRUE(patch) << patch.error().message;
    if (patch) options.patches.push_back(*patch);
  }
  options.work_dir = dir.path();
  options.skeleton_dir = fs::path(LP_SOURCE_DIR) / "kmod/skeleton";
  options.name = name;
  auto result = BuildLivepatchFromPatches(options);
  EXPECT_TRUE(result) << result.error().message;
  if (!result) return b;
  auto table = ReadFile(result->patch.build_dir / "lp_gen_table.h");
  EXPECT_TRUE(table);
  if (table) b.table = *table;
  b.ko = testing::ReadElfView(result->module.ko);
  return b;
}

bool IsGlobalDefined(const testing::ElfView& ko, const std::string& name) {
  const auto* s = ko.Symbol(name);
  return s && GELF_ST_BIND(s->sym.st_info) == STB_GLOBAL && s->sym.st_shndx != SHN_UNDEF;
}

bool IsUndefined(const testing::ElfView& ko, const std::string& name) {
  const auto* s = ko.Symbol(name);
  return s && s->sym.st_shndx == SHN_UNDEF;
}

TEST(KernelCallbacks, ShadowCallbacksExampleWiresItsCallbacksIntoTheVmlinuxObject) {
  lp::testing::TempDir dir;
  Built b = Build(dir, {"shadow-callbacks/consoles_shadow.patch"}, "lp_gen_shadow");
  if (!b.skip.empty()) GTEST_SKIP() << b.skip;
  EXPECT_NE(b.table.find("LP_OBJECT_CB(LP_VMLINUX, lp_funcs_vmlinux, livepatch_consoles_pre_patch, NULL, NULL, "
                         "livepatch_consoles_post_unpatch)"),
            std::string::npos)
      << b.table;
  EXPECT_TRUE(IsGlobalDefined(b.ko, "livepatch_consoles_pre_patch"));
  EXPECT_TRUE(IsGlobalDefined(b.ko, "livepatch_consoles_post_unpatch"));
  // The shadow wrappers call the kernel's exported API directly.
  EXPECT_TRUE(IsUndefined(b.ko, "klp_shadow_get_or_alloc"));
  EXPECT_TRUE(IsUndefined(b.ko, "klp_shadow_free_all"));
  for (const auto& s : b.ko.sections) EXPECT_EQ(s.name.find(".fleetpatch.callbacks"), std::string::npos) << s.name;
}

TEST(KernelMulti, ThreeObjectsInOneModule) {
  lp::testing::TempDir dir;
  Built b = Build(dir, {"cmdline/cmdline.patch", "module-nls/nls_utf8.patch", "module-zram/zram.patch"},
                  "lp_gen_multi");
  if (!b.skip.empty()) GTEST_SKIP() << b.skip;
  EXPECT_NE(b.table.find("static struct klp_object lp_objects[] = {\n"
                         "\tLP_OBJECT(\"nls_utf8\", lp_funcs_nls_utf8),\n"
                         "\tLP_OBJECT(LP_VMLINUX, lp_funcs_vmlinux),\n"
                         "\tLP_OBJECT_CB(\"zram\", lp_funcs_zram, NULL, livepatch_fleetpatch_zram_post_patch, NULL, "
                         "NULL),\n\t{ }\n};"),
            std::string::npos)
      << b.table;
  EXPECT_NE(b.table.find("LP_FUNC(\"uni2char\", livepatch_uni2char, 0),\n\t{ }"), std::string::npos) << b.table;
  EXPECT_NE(b.table.find("LP_FUNC(\"max_comp_streams_show\", livepatch_max_comp_streams_show, 0),\n\t{ }"),
            std::string::npos)
      << b.table;
  // cmdline's reference to saved_command_line survived the link with the
  // other two objects under its own name.
  const auto* klp = b.ko.Section(".klp.rela.vmlinux..text.livepatch_cmdline_proc_show");
  ASSERT_NE(klp, nullptr);
  ASSERT_FALSE(klp->relocs.empty());
  EXPECT_EQ(klp->relocs[0].symbol, ".klp.sym.vmlinux.saved_command_line,0");
}

}  // namespace
}  // namespace lp::patchbuild::generate
