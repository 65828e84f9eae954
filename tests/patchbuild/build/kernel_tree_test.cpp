// Against the real thing: Debian's linux-source-6.1 tarball and the
// installed 6.1 target's headers. Labelled "kernel" (see CMakeLists.txt).
//   LP_KERNEL_SOURCE       tarball (default /usr/src/linux-source-6.1.tar.xz)
//   LP_TARGET_RELEASE      target (default: the first /lib/modules/R with headers)
//   FLEETPATCH_TEST_CACHE  shared tree cache (default /var/tmp/fleetpatch-test-cache)
// Each test skips when the tarball or the target is not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "common/file_util.hpp"
#include "patchbuild/build/command.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/twin_compile.hpp"
#include "tests/patchbuild/build/elf_sections.hpp"
#include "tests/patchbuild/build/kernel_target.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {
namespace fs = std::filesystem;

const fs::path kExamples = fs::path(LP_SOURCE_DIR) / "examples";

using patchbuild::testing::EnvOr;

TreeOptions RealOptions() {
  return patchbuild::testing::KernelTreeOptions(patchbuild::testing::FindTargetRelease());
}

void PrintTimes(const std::string& what, const StageTimes& times) {
  double total = 0;
  for (const auto& [name, seconds] : times) {
    std::cout << "[timing] " << what << " " << name << " " << seconds << " s\n";
    total += seconds;
  }
  std::cout << "[timing] " << what << " total " << total << " s\n";
}

class KernelTree : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = RealOptions();
    if (!fs::exists(options_.source)) GTEST_SKIP() << options_.source << " not installed";
    if (options_.target.release.empty()) GTEST_SKIP() << "no target with headers installed";
    auto tree = PrepareTree(options_);
    ASSERT_TRUE(tree) << tree.error().message;
    PrintTimes(tree->reused ? "prepare(reused)" : "prepare", tree->times);
    tree_ = std::move(*tree);
  }

  // The file as the tarball has it, to prove the cached tree is pristine.
  // Reading one member decompresses the whole 140 MB archive (5-20 s), so
  // the answer is kept beside the cached tree (whose key covers the tarball).
  std::string FromTarball(const std::string& rel) {
    fs::path kept = tree_.dir / "test-pristine" / rel;
    if (auto text = ReadFile(kept)) return *text;
    auto r = RunCommand(Command({"tar", "-I", "xz -T2", "-xOf", options_.source.string(), "--wildcards",
                                 "*/" + rel}));
    EXPECT_TRUE(r && r->ok());
    if (!r || !r->ok()) return "";
    EXPECT_TRUE(MakeDirs(kept.parent_path()));
    EXPECT_TRUE(WriteFileAtomic(kept, r->output));
    return r->output;
  }
  std::string InTree(const std::string& rel) { return ReadFile(tree_.source_dir / rel).value(); }
  PatchSet Example(const std::string& rel) {
    auto p = ParsePatch(kExamples / rel);
    EXPECT_TRUE(p) << p.error().message;
    return *p;
  }

  TreeOptions options_;
  PreparedTree tree_;
  lp::testing::TempDir out_;
};

TEST_F(KernelTree, TreeMatchesTheTarget) {
  EXPECT_TRUE(tree_.source_version.SameUpstream(tree_.target.version));
  EXPECT_EQ(ReadFile(tree_.source_dir / ".config").value(), ReadFile(tree_.target.config).value());
  // .kernelvariables overrides KERNELRELEASE, which is what UTS_RELEASE (and
  // so a module's vermagic) is made of; include/config/kernel.release keeps
  // the plain upstream version and is not used once it is overridden.
  auto uts = ReadFile(tree_.source_dir / "include" / "generated" / "utsrelease.h");
  ASSERT_TRUE(uts) << uts.error().message;
  EXPECT_EQ(*uts, "#define UTS_RELEASE \"" + tree_.target.release + "\"\n");
}

TEST_F(KernelTree, CmdlineExampleCompilesTwiceWithFunctionSections) {
  auto result = CompileTwice(tree_, Example("cmdline/cmdline.patch"), out_.path());
  ASSERT_TRUE(result) << result.error().message;
  PrintTimes("compile", result->times);
  ASSERT_EQ(result->pairs.size(), 1u);
  const ObjectPair& p = result->pairs[0];
  EXPECT_EQ(p.unit.object, "fs/proc/cmdline.o");
  EXPECT_FALSE(p.in_module);
  EXPECT_EQ(p.object_name, "vmlinux");
  std::string orig = ReadFile(p.original).value();
  std::string patched = ReadFile(p.patched).value();
  EXPECT_NE(orig, patched);
  for (const auto* bytes : {&orig, &patched}) {
    auto names = testing::ElfSectionNames(*bytes);
    EXPECT_NE(std::find(names.begin(), names.end(), ".text.cmdline_proc_show"), names.end());
  }
  EXPECT_NE(patched.find(" fleetpatch=cmdline"), std::string::npos);
  EXPECT_EQ(orig.find(" fleetpatch=cmdline"), std::string::npos);
  EXPECT_EQ(InTree("fs/proc/cmdline.c"), FromTarball("fs/proc/cmdline.c"));
  EXPECT_FALSE(fs::exists(tree_.OverlayDir() / "journal"));
}

TEST_F(KernelTree, ModuleExampleNamesTheModule) {
  auto result = CompileTwice(tree_, Example("module-nls/nls_utf8.patch"), out_.path());
  ASSERT_TRUE(result) << result.error().message;
  PrintTimes("compile-module", result->times);
  ASSERT_EQ(result->pairs.size(), 1u);
  EXPECT_TRUE(result->pairs[0].in_module);
  EXPECT_EQ(result->pairs[0].object_name, "nls_utf8");
  EXPECT_NE(ReadFile(result->pairs[0].original).value(), ReadFile(result->pairs[0].patched).value());
  EXPECT_EQ(InTree("fs/nls/nls_utf8.c"), FromTarball("fs/nls/nls_utf8.c"));
}

TEST_F(KernelTree, LocalHeaderExampleCompilesEveryUnitThatIncludesIt) {
  auto result = CompileTwice(tree_, Example("header-local/proc_internal.patch"), out_.path());
  ASSERT_TRUE(result) << result.error().message;
  PrintTimes("compile-header", result->times);
  std::vector<fs::path> objects;
  bool some_differ = false;
  for (const auto& p : result->pairs) {
    objects.push_back(p.unit.object);
    EXPECT_EQ(p.object_name, "vmlinux") << p.unit.object;
    some_differ = some_differ || ReadFile(p.original).value() != ReadFile(p.patched).value();
  }
  EXPECT_GT(objects.size(), 10u);  // most of fs/proc includes internal.h
  EXPECT_NE(std::find(objects.begin(), objects.end(), "fs/proc/inode.o"), objects.end());
  EXPECT_EQ(std::find(objects.begin(), objects.end(), "fs/proc/cmdline.o"), objects.end());  // does not include it
  EXPECT_TRUE(some_differ);
  EXPECT_EQ(InTree("fs/proc/internal.h"), FromTarball("fs/proc/internal.h"));
}

TEST_F(KernelTree, PatchThatDoesNotApplyNamesFileAndHunk) {
  auto result = CompileTwice(tree_, Example("bad/does-not-apply.patch"), out_.path());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("does not apply: fs/proc/cmdline.c: hunk #1 FAILED at 7"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(InTree("fs/proc/cmdline.c"), FromTarball("fs/proc/cmdline.c"));
}

TEST_F(KernelTree, PatchOfAMissingFileIsRefused) {
  auto result = CompileTwice(tree_, Example("bad/missing-file.patch"), out_.path());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("fs/proc/no_such_file.c is not in the source tree"), std::string::npos)
      << result.error().message;
}

TEST_F(KernelTree, CompileErrorNamesTheFileAndTheTreeStaysPristine) {
  auto patch = ParsePatchText(
      "--- a/fs/proc/cmdline.c\n+++ b/fs/proc/cmdline.c\n@@ -9,3 +9,3 @@\n"
      " \tseq_puts(m, saved_command_line);\n-\tseq_putc(m, '\\n');\n+\tseq_putc(m, no_such_variable);\n \treturn 0;\n",
      "broken.patch");
  ASSERT_TRUE(patch) << patch.error().message;
  auto result = CompileTwice(tree_, *patch, out_.path());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("compiling the patched fs/proc/cmdline.c failed: fs/proc/cmdline.c:10:"),
            std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("no_such_variable"), std::string::npos);
  EXPECT_EQ(InTree("fs/proc/cmdline.c"), FromTarball("fs/proc/cmdline.c"));
}

TEST_F(KernelTree, SourceOfAnotherVersionIsRefused) {
  // A copy of the tree's top Makefile with SUBLEVEL bumped is enough: the
  // version is checked before anything is copied or built.
  lp::testing::TempDir fake;
  std::string makefile = InTree("Makefile");
  std::string wanted = "SUBLEVEL = " + std::to_string(tree_.target.version.sublevel);
  auto at = makefile.find(wanted);
  ASSERT_NE(at, std::string::npos);
  int other = tree_.target.version.sublevel + 1;
  makefile.replace(at, wanted.size(), "SUBLEVEL = " + std::to_string(other));
  ASSERT_TRUE(WriteFileAtomic(fake / "Makefile", makefile));
  TreeOptions o = options_;
  o.source = fake.path();
  o.cache_dir = fake / "cache";
  auto refused = PrepareTree(o);
  ASSERT_FALSE(refused);
  std::string want = "source tree is 6.1." + std::to_string(other) + ", target " + tree_.target.release +
                     " was built from 6.1." + std::to_string(tree_.target.version.sublevel);
  EXPECT_NE(refused.error().message.find(want), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace lp::patchbuild::tree
