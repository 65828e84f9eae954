// CompileTwice end to end on the fake tree (fake_tree.hpp): real make, real
// patch(1), a shell script for a compiler.
#include "patchbuild/build/twin_compile.hpp"
#include "patchbuild/build/patch_overlay.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "tests/patchbuild/build/fake_tree.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {
namespace fs = std::filesystem;

class TwinCompileTest : public ::testing::Test {
 protected:
  void SetUp() override { tree_ = testing::MakeFakeTree(dir_ / "cache"); }
  fs::path Src(const std::string& rel) const { return tree_.source_dir / rel; }
  std::string Read(const fs::path& p) { return ReadFile(p).value(); }
  PatchSet Patch(const std::string& text) { return *ParsePatchText(text, "t.patch"); }
  long long MtimeNs(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  }

  lp::testing::TempDir dir_;
  PreparedTree tree_;
  fs::path out_ = dir_ / "out";
};

const char* kPatchA =
    "--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1,2 +1,2 @@\n #include \"include/fake.h\"\n-int a = 1;\n+int a = 2;\n";

// kmod/include for <fleetpatch/livepatch.h>: both sides, through KCFLAGS.
TEST_F(TwinCompileTest, IncludeDirsReachBothCompiles) {
  CompileOptions options;
  options.include_dirs = {dir_ / "kmod-include"};
  auto result = CompileTwice(tree_, Patch(kPatchA), out_, options);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->pairs.size(), 1u);
  const std::string flag = "-I" + (dir_ / "kmod-include").string();
  EXPECT_NE(result->pairs[0].compile_command.find(flag), std::string::npos) << result->pairs[0].compile_command;
  EXPECT_NE(Read(out_ / "make-orig.log").find(flag), std::string::npos);
  EXPECT_NE(Read(out_ / "make-patched.log").find(flag), std::string::npos);
}

TEST_F(TwinCompileTest, BuildsBothSidesAndLeavesTheTreeAsItWas) {
  long long source_mtime = MtimeNs(Src("fs/a.c"));
  auto result = CompileTwice(tree_, Patch(kPatchA), out_);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->pairs.size(), 1u);
  const ObjectPair& p = result->pairs[0];
  EXPECT_EQ(p.unit.source, "fs/a.c");
  EXPECT_EQ(p.original, out_ / "fs" / "a.orig.o");
  EXPECT_EQ(p.patched, out_ / "fs" / "a.patched.o");
  EXPECT_NE(Read(p.original).find("int a = 1;"), std::string::npos);
  EXPECT_NE(Read(p.patched).find("int a = 2;"), std::string::npos);
  EXPECT_FALSE(p.in_module);
  EXPECT_EQ(p.object_name, "vmlinux");
  EXPECT_NE(p.compile_command.find("-ffunction-sections -fdata-sections"), std::string::npos);
  EXPECT_TRUE(fs::exists(out_ / "make-orig.log"));
  EXPECT_TRUE(fs::exists(out_ / "make-patched.log"));

  // The tree: source and mtime back, the original object in place, no journal.
  EXPECT_NE(Read(Src("fs/a.c")).find("int a = 1;"), std::string::npos);
  EXPECT_EQ(MtimeNs(Src("fs/a.c")), source_mtime);
  EXPECT_NE(Read(Src("fs/a.o")).find("int a = 1;"), std::string::npos);
  EXPECT_FALSE(fs::exists(tree_.OverlayDir() / "journal"));
  std::vector<std::string> stages;
  for (const auto& [name, seconds] : result->times) stages.push_back(name);
  EXPECT_EQ(stages, (std::vector<std::string>{"patch-check", "find-units", "compile-orig", "patch-apply",
                                              "compile-patched", "restore"}));
}

TEST_F(TwinCompileTest, SecondBuildOfTheSamePatchGivesTheSameObjects) {
  ASSERT_TRUE(CompileTwice(tree_, Patch(kPatchA), out_));
  auto again = CompileTwice(tree_, Patch(kPatchA), dir_ / "out2");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(Read(again->pairs[0].original).find("int a = 1;"), std::string::npos);
  EXPECT_NE(Read(again->pairs[0].patched).find("int a = 2;"), std::string::npos);
}

// The second build of a unit finds its original object stamped as the one
// the first build's original make left (original_stamp.hpp): no make.
TEST_F(TwinCompileTest, SecondBuildSkipsTheOriginalMake) {
  ASSERT_TRUE(CompileTwice(tree_, Patch(kPatchA), out_));
  EXPECT_NE(Read(out_ / "make-orig.log").find("fs/a.o"), std::string::npos);
  auto again = CompileTwice(tree_, Patch(kPatchA), dir_ / "out2");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(Read(dir_ / "out2" / "make-orig.log").find("make not run"), std::string::npos);
  EXPECT_EQ(Read(again->pairs[0].original), Read(out_ / "fs" / "a.orig.o"));
  EXPECT_NE(Read(again->pairs[0].patched).find("int a = 2;"), std::string::npos);
}

// What a build killed after its patched make and before the restore would
// leave if nothing repaired it: the patched object in the tree, newer than
// the source. make alone would keep it as the original; the stamp does not.
TEST_F(TwinCompileTest, APatchedObjectLeftInTheTreeIsNotTakenForTheOriginal) {
  ASSERT_TRUE(CompileTwice(tree_, Patch(kPatchA), out_));
  ASSERT_TRUE(WriteFileAtomic(Src("fs/a.o"), "#include \"include/fake.h\"\nint a = 2;\n"));
  auto again = CompileTwice(tree_, Patch(kPatchA), dir_ / "out2");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(Read(again->pairs[0].original).find("int a = 1;"), std::string::npos);
  EXPECT_NE(Read(dir_ / "out2" / "make-orig.log").find("fs/a.o"), std::string::npos);
  EXPECT_NE(Read(Src("fs/a.o")).find("int a = 1;"), std::string::npos);
}

TEST_F(TwinCompileTest, ModuleUnitIsNamedAfterItsModule) {
  auto result = CompileTwice(
      tree_, Patch("--- a/mod/m.c\n+++ b/mod/m.c\n@@ -2 +2 @@\n-int m = 1;\n+int m = 3;\n"), out_);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->pairs[0].in_module);
  EXPECT_EQ(result->pairs[0].object_name, "fakemod");
}

TEST_F(TwinCompileTest, HeaderPatchBuildsTheBuiltUnitsThatIncludeIt) {
  const char* header_patch = "--- a/include/fake.h\n+++ b/include/fake.h\n@@ -1 +1 @@\n-#define FAKE 1\n+#define FAKE 2\n";
  auto none = CompileTwice(tree_, Patch(header_patch), out_);
  ASSERT_FALSE(none);  // nothing built yet: no .cmd names the header
  EXPECT_NE(none.error().message.find("include/fake.h: no unit built in this tree includes it"), std::string::npos);

  ASSERT_TRUE(CompileTwice(tree_, Patch(kPatchA), dir_ / "warm"));
  auto result = CompileTwice(tree_, Patch(header_patch), out_, CompileOptions{{{"fs/b.c", "fs/b.o"}}, {}});
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->pairs.size(), 2u);
  EXPECT_EQ(result->pairs[0].unit.object, "fs/a.o");
  EXPECT_EQ(result->pairs[1].unit.object, "fs/b.o");
  EXPECT_EQ(Read(Src("include/fake.h")), "#define FAKE 1\n");
}

TEST_F(TwinCompileTest, LocalHeaderUsersAreFoundWithoutEarlierBuilds) {
  auto result = CompileTwice(
      tree_, Patch("--- a/fs/local.h\n+++ b/fs/local.h\n@@ -1 +1 @@\n-#define LOCAL 1\n+#define LOCAL 2\n"), out_);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->pairs.size(), 1u);
  EXPECT_EQ(result->pairs[0].unit.object, "fs/b.o");
  EXPECT_TRUE(fs::exists(Src("fs/a.o")));  // built to look at its deps, kept for later builds
  EXPECT_TRUE(fs::exists(out_ / "make-header-users.log"));
  EXPECT_EQ(Read(Src("fs/local.h")), "#define LOCAL 1\n");
}

TEST_F(TwinCompileTest, CompileErrorNamesTheFileAndRestoresTheTree) {
  auto result = CompileTwice(
      tree_, Patch("--- a/fs/a.c\n+++ b/fs/a.c\n@@ -2 +2 @@\n-int a = 1;\n+int a = BREAK;\n"), out_);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("compiling the patched fs/a.c failed: fs/a.c:1:1: error: broken on purpose"),
            std::string::npos)
      << result.error().message;
  EXPECT_NE(Read(Src("fs/a.c")).find("int a = 1;"), std::string::npos);
  EXPECT_NE(Read(Src("fs/a.o")).find("int a = 1;"), std::string::npos);
  EXPECT_FALSE(fs::exists(tree_.OverlayDir() / "journal"));
}

TEST_F(TwinCompileTest, PatchThatDoesNotApplyFailsBeforeAnyCompile) {
  auto result = CompileTwice(
      tree_, Patch("--- a/fs/a.c\n+++ b/fs/a.c\n@@ -2 +2 @@\n-int a = 5;\n+int a = 6;\n"), out_);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("does not apply: fs/a.c: hunk #1 FAILED at 2"), std::string::npos)
      << result.error().message;
  EXPECT_FALSE(fs::exists(Src("fs/a.o")));
}

TEST_F(TwinCompileTest, RefusesBuildFilesAndIgnoresDocumentation) {
  auto docs_only = CompileTwice(
      tree_, Patch("--- a/Documentation/a.rst\n+++ b/Documentation/a.rst\n@@ -1 +1 @@\n-docs\n+more docs\n"), out_);
  ASSERT_FALSE(docs_only);
  EXPECT_NE(docs_only.error().message.find("t.patch: no change to a C source or header of the kernel"), std::string::npos);
  auto makefile = CompileTwice(
      tree_, Patch("--- a/Makefile\n+++ b/Makefile\n@@ -1 +1 @@\n-# make dir/x.o: ./fake-cc compiles dir/x.c\n+#\n"),
      out_);
  ASSERT_FALSE(makefile);
  EXPECT_EQ(makefile.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(makefile.error().message.find("Makefile: only C sources and headers"), std::string::npos);
}

TEST_F(TwinCompileTest, RecoversFromAnEarlierBuildThatDied) {
  {
    auto overlay = PatchOverlay::Apply(tree_.source_dir, tree_.OverlayDir(), {Patch(kPatchA)}, {});
    ASSERT_TRUE(overlay);
    overlay->AbandonForTesting();
  }
  auto result = CompileTwice(tree_, Patch(kPatchA), out_);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(Read(result->pairs[0].original).find("int a = 1;"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild::tree
