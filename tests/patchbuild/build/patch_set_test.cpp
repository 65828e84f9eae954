#include "patchbuild/build/patch_set.hpp"

#include <gtest/gtest.h>

namespace lp::patchbuild::tree {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(LP_SOURCE_DIR) / "examples";

std::string ErrorOf(const std::string& text) {
  auto parsed = ParsePatchText(text, "x.patch");
  EXPECT_FALSE(parsed.has_value());
  return parsed ? "" : parsed.error().message;
}

TEST(PatchSet, ParsesTheCmdlineExample) {
  auto patch = ParsePatch(kExamples / "cmdline" / "cmdline.patch");
  ASSERT_TRUE(patch) << patch.error().message;
  ASSERT_EQ(patch->files.size(), 1u);
  const FilePatch& f = patch->files[0];
  EXPECT_EQ(f.change, FileChange::kModify);
  EXPECT_EQ(f.old_path, "fs/proc/cmdline.c");
  EXPECT_EQ(f.new_path, "fs/proc/cmdline.c");
  EXPECT_EQ(f.hunks, 1);
  EXPECT_EQ(f.diff_line, 7u);  // after the commit message
  EXPECT_EQ(patch->TouchedPaths(), std::vector<std::filesystem::path>{"fs/proc/cmdline.c"});
}

TEST(PatchSet, MalformedExampleNamesFileAndLine) {
  auto patch = ParsePatch(kExamples / "bad" / "malformed.patch");
  ASSERT_FALSE(patch);
  EXPECT_EQ(patch.error().code, ErrorCode::kParse);
  EXPECT_NE(patch.error().message.find("malformed.patch:11: "), std::string::npos) << patch.error().message;
}

TEST(PatchSet, MultipleFilesAndHunks) {
  std::string text =
      "--- a/fs/a.c\t2024-01-01 00:00:00\n+++ b/fs/a.c\t2024-01-02 00:00:00\n"
      "@@ -1,2 +1,2 @@\n ctx\n-old\n+new\n@@ -10 +10 @@\n-x\n+y\n"
      "--- a/include/linux/b.h\n+++ b/include/linux/b.h\n@@ -3,0 +4,1 @@\n+added\n";
  auto patch = ParsePatchText(text, "multi.patch");
  ASSERT_TRUE(patch) << patch.error().message;
  ASSERT_EQ(patch->files.size(), 2u);
  EXPECT_EQ(patch->files[0].Path(), "fs/a.c");
  EXPECT_EQ(patch->files[0].hunks, 2);
  EXPECT_EQ(patch->files[1].Path(), "include/linux/b.h");
  EXPECT_EQ(patch->files[1].diff_line, 10u);
  EXPECT_EQ(patch->text, text);
}

TEST(PatchSet, NewAndDeletedFilesThroughDevNull) {
  std::string text =
      "--- /dev/null\n+++ b/fs/new.c\n@@ -0,0 +1,2 @@\n+int x;\n+int y;\n"
      "--- a/fs/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int z;\n";
  auto patch = ParsePatchText(text, "nd.patch");
  ASSERT_TRUE(patch) << patch.error().message;
  ASSERT_EQ(patch->files.size(), 2u);
  EXPECT_EQ(patch->files[0].change, FileChange::kCreate);
  EXPECT_TRUE(patch->files[0].old_path.empty());
  EXPECT_EQ(patch->files[0].Path(), "fs/new.c");
  EXPECT_EQ(patch->files[1].change, FileChange::kDelete);
  EXPECT_EQ(patch->files[1].Path(), "fs/gone.c");
}

TEST(PatchSet, GitRenamesWithAndWithoutHunks) {
  std::string text =
      "diff --git a/fs/old.c b/fs/pure.c\nsimilarity index 100%\nrename from fs/old.c\nrename to fs/pure.c\n"
      "diff --git a/fs/x.h b/fs/y.h\nsimilarity index 90%\nrename from fs/x.h\nrename to fs/y.h\n"
      "index 1111111..2222222 100644\n--- a/fs/x.h\n+++ b/fs/y.h\n@@ -1 +1 @@\n-a\n+b\n";
  auto patch = ParsePatchText(text, "rename.patch");
  ASSERT_TRUE(patch) << patch.error().message;
  ASSERT_EQ(patch->files.size(), 2u);
  EXPECT_EQ(patch->files[0].change, FileChange::kRename);
  EXPECT_EQ(patch->files[0].hunks, 0);
  EXPECT_EQ(patch->files[0].old_path, "fs/old.c");
  EXPECT_EQ(patch->files[0].new_path, "fs/pure.c");
  EXPECT_EQ(patch->files[1].change, FileChange::kRename);
  EXPECT_EQ(patch->files[1].hunks, 1);
  auto touched = patch->TouchedPaths();
  EXPECT_EQ(touched.size(), 4u);
}

TEST(PatchSet, GitNewFileModeAndNoNewlineMarker) {
  std::string text =
      "diff --git a/fs/n.c b/fs/n.c\nnew file mode 100644\nindex 0000000..1111111\n"
      "--- /dev/null\n+++ b/fs/n.c\n@@ -0,0 +1 @@\n+int n;\n\\ No newline at end of file\n";
  auto patch = ParsePatchText(text, "n.patch");
  ASSERT_TRUE(patch) << patch.error().message;
  ASSERT_EQ(patch->files.size(), 1u);
  EXPECT_EQ(patch->files[0].change, FileChange::kCreate);
}

TEST(PatchSet, RefusesWhatPatchWouldMisread) {
  EXPECT_NE(ErrorOf("just some text\n").find("no file changes"), std::string::npos);
  EXPECT_NE(ErrorOf("--- a/f.c\nnot plus\n").find("x.patch:1: '---' file header"), std::string::npos);
  EXPECT_NE(ErrorOf("--- a/fs/f.c\n+++ b/fs/f.c\ntext\n").find("has no hunks"), std::string::npos);
  EXPECT_NE(ErrorOf("@@ -1 +1 @@\n-a\n+b\n").find("x.patch:1: hunk outside"), std::string::npos);
  EXPECT_NE(ErrorOf("--- a/fs/f.c\n+++ b/fs/f.c\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n").find("x.patch:3: hunk is truncated"),
            std::string::npos);
  EXPECT_NE(ErrorOf("--- a/fs/f.c\n+++ b/fs/f.c\n@@ -1 +1 @@\n-a\n-b\n+c\n").find("x.patch:5: "),
            std::string::npos);
  EXPECT_NE(ErrorOf("--- a/fs/f.c\n+++ b/fs/f.c\n@@ -x +1 @@\n").find("malformed hunk header"), std::string::npos);
  EXPECT_NE(ErrorOf("--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n").find("leaves the tree"),
            std::string::npos);
  EXPECT_NE(ErrorOf("--- f.c\n+++ f.c\n@@ -1 +1 @@\n-a\n+b\n").find("no leading directory"), std::string::npos);
  EXPECT_NE(ErrorOf("diff --git a/x.bin b/x.bin\nGIT binary patch\nliteral 1\n").find("binary"), std::string::npos);
  EXPECT_NE(ErrorOf("--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+a\n").find("both sides"), std::string::npos);
}

TEST(PatchSet, MissingFileIsAnIoErrorNamingIt) {
  auto patch = ParsePatch("/nonexistent/fix.patch");
  ASSERT_FALSE(patch);
  EXPECT_NE(patch.error().message.find("/nonexistent/fix.patch"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild::tree
