// The generate stage against the real thing: examples/cmdline/cmdline.patch
// compiled twice in the shared prepared linux-source-6.1 tree (as
// patchbuild/build's kernel tests do), symbols decoded from the installed
// target's vmlinuz, the module built against the target's headers. Checked
// as readelf would: the livepatch relocation to the non-exported
// saved_command_line, its SHN_LIVEPATCH symbol, modinfo and vermagic.
// Labelled "kernel"; skips when the tarball or the target is missing.
//   LP_KERNEL_SOURCE, LP_TARGET_RELEASE, FLEETPATCH_TEST_CACHE as in
//   tests/patchbuild/build/kernel_tree_test.cpp; LP_GENERATE_TEST_WORK=DIR
//   builds in DIR and keeps it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "common/file_util.hpp"
#include "patchbuild/generate/klp_side_table.hpp"
#include "patchbuild/generate/pipeline.hpp"
#include "patchbuild/modinfo.hpp"
#include "tests/patchbuild/build/kernel_target.hpp"
#include "tests/patchbuild/generate/elf_view.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::generate {
namespace {
namespace fs = std::filesystem;

using patchbuild::testing::EnvOr;

// Everything is built once for the whole suite (~5 s on a prepared tree).
struct Built {
  std::string skip;   // non-empty: why the suite skips
  std::string error;  // non-empty: the step that failed
  std::string release;
  GeneratedPatch patch;
  BuiltModule module;
  std::vector<std::string> compiled_units;  // every unit compiled twice (<name>.orig.o)
};

std::optional<lp::testing::TempDir> g_dir;
Built g_built;

Built BuildAll(const fs::path& work, const std::string& example, const std::string& name) {
  Built b;
  PipelineOptions options;
  options.tree = patchbuild::testing::KernelTreeOptions(patchbuild::testing::FindTargetRelease(/*need_vmlinuz=*/true));
  if (!fs::exists(options.tree.source)) return b.skip = options.tree.source.string() + " not installed", b;
  if (options.tree.target.release.empty()) return b.skip = "no target with headers and vmlinuz installed", b;
  auto patch = tree::ParsePatch(fs::path(LP_SOURCE_DIR) / "examples" / example);
  if (!patch) return b.error = patch.error().message, b;
  options.patches = {*patch};
  options.work_dir = work;
  options.skeleton_dir = fs::path(LP_SOURCE_DIR) / "kmod/skeleton";
  options.name = name;
  options.description = "generate stage kernel test";
  auto result = BuildLivepatchFromPatches(options);
  if (!result) return b.error = result.error().message, b;
  b.release = result->release;
  b.patch = result->patch;
  b.module = result->module;
  for (const auto& pair : result->compiled.pairs) b.compiled_units.push_back(pair.original.filename().string());
  return b;
}

class KernelGenerate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // LP_GENERATE_TEST_WORK keeps the objects and the module for a look.
    const std::string keep = EnvOr("LP_GENERATE_TEST_WORK", "");
    if (keep.empty()) g_dir.emplace();
    g_built = BuildAll(keep.empty() ? g_dir->path() : fs::path(keep), "cmdline/cmdline.patch", "lp_gen_cmdline");
  }
  static void TearDownTestSuite() { g_dir.reset(); }
  void SetUp() override {
    if (!g_built.skip.empty()) GTEST_SKIP() << g_built.skip;
    ASSERT_EQ(g_built.error, "");
    ko_ = testing::ReadElfView(g_built.module.ko);
  }
  testing::ElfView ko_;
};

TEST_F(KernelGenerate, ReplacesCmdlineProcShowWithARenamedCopy) {
  ASSERT_EQ(g_built.patch.objects.size(), 1u);
  const GeneratedObject& o = g_built.patch.objects[0];
  EXPECT_EQ(o.object_name, "vmlinux");
  ASSERT_EQ(o.replaced.size(), 1u);
  EXPECT_EQ(o.replaced[0].old_name, "cmdline_proc_show");
  EXPECT_EQ(o.replaced[0].new_name, "livepatch_cmdline_proc_show");
  EXPECT_EQ(o.replaced[0].sympos, 0u);
  const auto* fn = ko_.Symbol("livepatch_cmdline_proc_show");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(GELF_ST_TYPE(fn->sym.st_info), STT_FUNC);
  EXPECT_EQ(ko_.sections.at(fn->sym.st_shndx).name, ".text.livepatch_cmdline_proc_show");
  auto table = ReadFile(g_built.patch.build_dir / "lp_gen_table.h");
  ASSERT_TRUE(table);
  EXPECT_NE(table->find("LP_FUNC(\"cmdline_proc_show\", livepatch_cmdline_proc_show, 0)"), std::string::npos);
}

TEST_F(KernelGenerate, SavedCommandLineIsReachedThroughALivepatchRelocation) {
  const auto* klp = ko_.Section(".klp.rela.vmlinux..text.livepatch_cmdline_proc_show");
  ASSERT_NE(klp, nullptr);
  EXPECT_EQ(klp->header.sh_type, static_cast<GElf_Word>(SHT_RELA));
  EXPECT_EQ(klp->header.sh_flags, SHF_ALLOC | SHF_INFO_LINK | kShfRelaLivepatch);
  EXPECT_EQ(ko_.sections.at(klp->header.sh_info).name, ".text.livepatch_cmdline_proc_show");
  EXPECT_EQ(ko_.sections.at(klp->header.sh_link).name, ".symtab");
  ASSERT_EQ(klp->relocs.size(), 1u);
  EXPECT_EQ(klp->relocs[0].symbol, ".klp.sym.vmlinux.saved_command_line,0");
  EXPECT_EQ(klp->relocs[0].type, static_cast<uint32_t>(R_X86_64_PC32));
  EXPECT_EQ(klp->relocs[0].addend, -4);
  // The loader refuses to apply over non-zero bytes.
  const auto* text = ko_.Section(".text.livepatch_cmdline_proc_show");
  ASSERT_NE(text, nullptr);
  ASSERT_LE(klp->relocs[0].offset + 4, text->bytes.size());
  EXPECT_EQ(text->bytes.substr(klp->relocs[0].offset, 4), std::string(4, '\0'));

  const auto* sym = ko_.Symbol(".klp.sym.vmlinux.saved_command_line,0");
  ASSERT_NE(sym, nullptr);
  EXPECT_EQ(sym->sym.st_shndx, kShnLivepatch);
  EXPECT_EQ(ko_.Symbol("saved_command_line"), nullptr) << "must not stay an ordinary undefined symbol";
}

TEST_F(KernelGenerate, ExportedSymbolsStayOrdinaryUndefinedSymbols) {
  for (const char* name : {"seq_puts", "__fentry__"}) {
    const auto* sym = ko_.Symbol(name);
    ASSERT_NE(sym, nullptr) << name;
    EXPECT_EQ(sym->sym.st_shndx, SHN_UNDEF) << name;
  }
}

TEST_F(KernelGenerate, SideTableIsGoneAndLocalsComeFirst) {
  for (const auto& s : ko_.sections) EXPECT_EQ(s.name.find("fleetpatch.klp"), std::string::npos) << s.name;
  for (size_t i = 1; i < ko_.symbols.size(); ++i)
    EXPECT_EQ(GELF_ST_BIND(ko_.symbols[i].sym.st_info) == STB_LOCAL, i < ko_.first_global) << ko_.symbols[i].name;
}

TEST_F(KernelGenerate, CarriesTheNewStringAndTheOrcEntries) {
  bool found = false;
  for (const auto& s : ko_.sections) found |= s.bytes.find(" fleetpatch=cmdline\n") != std::string::npos;
  EXPECT_TRUE(found);
  const auto* orc = ko_.Section(".rela.orc_unwind_ip");
  ASSERT_NE(orc, nullptr);
  EXPECT_TRUE(std::any_of(orc->relocs.begin(), orc->relocs.end(),
                          [](const auto& r) { return r.symbol == ".text.livepatch_cmdline_proc_show"; }));
}

TEST_F(KernelGenerate, ModinfoSaysLivepatchAndTheTargetsVermagic) {
  auto bytes = ReadFile(g_built.module.ko);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(ReadModinfo(*bytes, "livepatch").value(), "Y");
  // Any module the target ships has the vermagic a module must have.
  auto shipped = ReadFile("/lib/modules/" + g_built.release + "/kernel/fs/nls/nls_utf8.ko");
  ASSERT_TRUE(shipped) << shipped.error().message;
  EXPECT_EQ(ReadModinfo(*bytes, "vermagic").value(), ReadModinfo(*shipped, "vermagic").value());
  EXPECT_EQ(g_built.module.klp_relocations, 1u);
}

// A call to a static function that several files of vmlinux define, and a
// static local: examples/consoles-static (its VM test checks the behaviour).
TEST(KernelGenerateConsoles, StaticFunctionOfManyFilesGetsItsSymposAndStaticLocalsAreReferenced) {
  lp::testing::TempDir dir;
  Built b = BuildAll(dir.path(), "consoles-static/consoles.patch", "lp_gen_consoles");
  if (!b.skip.empty()) GTEST_SKIP() << b.skip;
  ASSERT_EQ(b.error, "");
  auto ko = testing::ReadElfView(b.module.ko);
  const auto* klp = ko.Section(".klp.rela.vmlinux..text.livepatch_show_console_dev");
  ASSERT_NE(klp, nullptr);
  std::vector<std::string> targets;
  for (const auto& r : klp->relocs) targets.push_back(r.symbol);
  // c_next is also defined by arch/x86/kernel/cpu/proc.c and others; the
  // one of fs/proc/consoles.c is not the first in kallsyms order.
  auto c_next = std::find_if(targets.begin(), targets.end(),
                             [](const std::string& t) { return t.rfind(".klp.sym.vmlinux.c_next,", 0) == 0; });
  ASSERT_NE(c_next, targets.end());
  EXPECT_NE(*c_next, ".klp.sym.vmlinux.c_next,0");
  EXPECT_NE(std::find(targets.begin(), targets.end(), ".klp.sym.vmlinux.con_flags.0,0"), targets.end());
  EXPECT_EQ(ko.Symbol("livepatch_c_next"), nullptr) << "c_next did not change: it must not be copied";
}

// A change to a static inline of fs/proc/internal.h (examples/header-inline):
// every fs/proc unit that includes it is compiled twice, only the functions
// that inline it are replaced, and the units whose code did not change
// contribute nothing to the module (issue 5 item 2).
TEST(KernelGenerateHeader, OnlyTheUnitsThatInlineTheChangedFunctionArePatched) {
  lp::testing::TempDir dir;
  Built b = BuildAll(dir.path(), "header-inline/proc_permanent.patch", "lp_gen_header");
  if (!b.skip.empty()) GTEST_SKIP() << b.skip;
  ASSERT_EQ(b.error, "");
  EXPECT_GE(b.compiled_units.size(), 20u) << "fs/proc/internal.h is included by most of fs/proc";
  std::vector<std::string> patched_units;
  std::vector<std::string> replaced;
  for (const GeneratedObject& o : b.patch.objects) {
    patched_units.push_back(fs::path(o.diff.original_path).filename().string());
    EXPECT_FALSE(o.replaced.empty()) << o.diff.original_path << " is in the patch without a replaced function";
    for (const ReplacedFunction& f : o.replaced) replaced.push_back(f.old_name);
  }
  std::sort(patched_units.begin(), patched_units.end());
  EXPECT_EQ(patched_units, (std::vector<std::string>{"generic.orig.o", "inode.orig.o"}));
  for (const char* fn : {"proc_reg_open", "proc_reg_read_iter", "proc_reg_release", "remove_proc_entry"})
    EXPECT_NE(std::find(replaced.begin(), replaced.end(), fn), replaced.end()) << fn;
  for (const std::string& fn : replaced)
    EXPECT_TRUE(fn.rfind("proc_reg_", 0) == 0 || fn.rfind("remove_proc_", 0) == 0) << fn;
}

// New data and an existing static local (examples/data-static): the new
// global and static local are sections of the module, the existing static
// local stfu is the running kernel's, through a klp relocation.
TEST(KernelGenerateData, NewDataIsTheModulesAndTheExistingStaticLocalTheKernels) {
  lp::testing::TempDir dir;
  Built b = BuildAll(dir.path(), "data-static/drop_caches.patch", "lp_gen_data");
  if (!b.skip.empty()) GTEST_SKIP() << b.skip;
  ASSERT_EQ(b.error, "");
  auto ko = testing::ReadElfView(b.module.ko);
  bool stfu = false;
  for (const auto& sym : ko.symbols) {
    stfu |= sym.name.rfind(".klp.sym.vmlinux.stfu.", 0) == 0 && sym.sym.st_shndx == kShnLivepatch;
    EXPECT_EQ(sym.name.find("klp.sym.vmlinux.lp_writes"), std::string::npos) << sym.name;
    EXPECT_EQ(sym.name.find("klp.sym.vmlinux.fleetpatch_drop_total"), std::string::npos) << sym.name;
  }
  EXPECT_TRUE(stfu) << "no livepatch symbol for stfu";
  const auto* total = ko.Section(".bss.fleetpatch_drop_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->header.sh_type, static_cast<GElf_Word>(SHT_NOBITS));
  bool writes = false;
  for (const auto& s : ko.sections) writes |= s.name.rfind(".bss.lp_writes", 0) == 0;
  EXPECT_TRUE(writes) << "no section for the new static local lp_writes";
}

// Special sections of a copied function (examples/special-sections): each
// table of the module has an entry for livepatch_comm_write; the static call
// key of vmlinux is a klp relocation (vm_patchbuild_special runs them).
TEST(KernelGenerateSpecial, EveryTableOfTheCopiedFunctionIsCarried) {
  lp::testing::TempDir dir;
  Built b = BuildAll(dir.path(), "special-sections/comm_write.patch", "lp_gen_special");
  if (!b.skip.empty()) GTEST_SKIP() << b.skip;
  ASSERT_EQ(b.error, "");
  auto ko = testing::ReadElfView(b.module.ko);
  for (const char* table : {".rela__ex_table", ".rela__bug_table", ".rela__jump_table", ".rela.altinstructions",
                            ".rela.static_call_sites", ".rela.orc_unwind_ip", ".rela__mcount_loc",
                            ".rela.return_sites"}) {
    const auto* rela = ko.Section(table);
    ASSERT_NE(rela, nullptr) << table;
    EXPECT_TRUE(std::any_of(rela->relocs.begin(), rela->relocs.end(),
                            [](const auto& r) { return r.symbol == ".text.livepatch_comm_write"; }))
        << table;
  }
  const auto* orc = ko.Section(".orc_unwind");
  const auto* orc_ip = ko.Section(".orc_unwind_ip");
  ASSERT_TRUE(orc && orc_ip);
  EXPECT_EQ(orc->bytes.size() / 6, orc_ip->bytes.size() / 4) << "ORC tables out of step";
  const auto* klp = ko.Section(".klp.rela.vmlinux..static_call_sites");
  ASSERT_NE(klp, nullptr);
  ASSERT_EQ(klp->relocs.size(), 1u);
  EXPECT_EQ(klp->relocs[0].symbol, ".klp.sym.vmlinux.__SCK__cond_resched,0");
  EXPECT_NE(ko.Section("__dyndbg"), nullptr);
}

}  // namespace
}  // namespace lp::patchbuild::generate
