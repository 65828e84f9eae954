#include "patchbuild/build/patch_overlay.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {
namespace fs = std::filesystem;

const char* kOneToTwo = "--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1 +1 @@\n-int a = 1;\n+int a = 2;\n";

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeDirs(tree() / "fs"));
    ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / "a.c", "int a = 1;\n"));
    ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / "a.o", "object of a = 1\n"));
    // An old mtime, as in an unpacked tarball: restore must bring it back.
    struct timespec times[2] = {{1000000000, 123456789}, {1000000000, 123456789}};
    ::utimensat(AT_FDCWD, (tree() / "fs" / "a.c").c_str(), times, 0);
  }
  fs::path tree() const { return dir_ / "linux"; }
  fs::path overlay() const { return dir_ / "overlay"; }
  PatchSet Patch(const std::string& text) { return *ParsePatchText(text, "t.patch"); }
  std::string Read(const std::string& rel) { return ReadFile(tree() / rel).value(); }
  long long MtimeNs(const std::string& rel) {
    struct stat st {};
    ::stat((tree() / rel).c_str(), &st);
    return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  }
  bool JournalLeft() { return fs::exists(overlay() / "journal"); }

  lp::testing::TempDir dir_;
};

TEST_F(OverlayTest, DryRunChecksWithoutWriting) {
  EXPECT_TRUE(CheckPatchApplies(tree(), {Patch(kOneToTwo)}, overlay()));
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  auto bad = CheckPatchApplies(
      tree(), {Patch("--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1 +1 @@\n-int a = 7;\n+int a = 2;\n")}, overlay());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("fs/a.c: hunk #1 FAILED at 1"), std::string::npos) << bad.error().message;
  auto missing = CheckPatchApplies(tree(), {Patch("--- a/fs/zz.c\n+++ b/fs/zz.c\n@@ -1 +1 @@\n-x\n+y\n")}, overlay());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("fs/zz.c is not in the source tree (t.patch:1)"), std::string::npos);
}

TEST_F(OverlayTest, SeriesIsCheckedAndAppliedInOrder) {
  // The second patch changes what the first wrote, and edits a file the first creates.
  PatchSeries series = {
      *ParsePatchText(std::string(kOneToTwo) + "--- /dev/null\n+++ b/fs/n.c\n@@ -0,0 +1 @@\n+int n;\n", "one.patch"),
      *ParsePatchText("--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1 +1 @@\n-int a = 2;\n+int a = 3;\n"
                      "--- a/fs/n.c\n+++ b/fs/n.c\n@@ -1 +1 @@\n-int n;\n+int n = 1;\n",
                      "two.patch")};
  ASSERT_TRUE(CheckPatchApplies(tree(), series, overlay()));
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  EXPECT_FALSE(fs::exists(tree() / "fs" / "n.c"));
  EXPECT_FALSE(fs::exists(overlay() / "trial"));
  {
    auto overlay_or = PatchOverlay::Apply(tree(), overlay(), series, {});
    ASSERT_TRUE(overlay_or) << overlay_or.error().message;
    EXPECT_EQ(Read("fs/a.c"), "int a = 3;\n");
    EXPECT_EQ(Read("fs/n.c"), "int n = 1;\n");
  }
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  EXPECT_FALSE(fs::exists(tree() / "fs" / "n.c"));

  std::swap(series[0], series[1]);  // out of order: the second cannot apply first
  auto st = CheckPatchApplies(tree(), series, overlay());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("fs/n.c is not in the source tree (two.patch:"), std::string::npos)
      << st.error().message;
}

TEST_F(OverlayTest, AlreadyAppliedPatchIsRefused) {
  ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / "a.c", "int a = 2;\n"));
  auto st = CheckPatchApplies(tree(), {Patch(kOneToTwo)}, overlay());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("already applied or reversed"), std::string::npos) << st.error().message;
}

TEST_F(OverlayTest, ApplyThenRestoreBringsBackContentMtimeAndPreservedFiles) {
  long long mtime = MtimeNs("fs/a.c");
  {
    auto overlay_or = PatchOverlay::Apply(tree(), overlay(), {Patch(kOneToTwo)}, {"fs/a.o", "fs/.a.o.cmd"});
    ASSERT_TRUE(overlay_or) << overlay_or.error().message;
    EXPECT_EQ(Read("fs/a.c"), "int a = 2;\n");
    EXPECT_TRUE(JournalLeft());
    ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / "a.o", "object of a = 2\n"));
    ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / ".a.o.cmd", "cmd of the patched build\n"));
    ASSERT_TRUE(overlay_or->Restore());
  }
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  EXPECT_EQ(MtimeNs("fs/a.c"), mtime);
  EXPECT_EQ(Read("fs/a.o"), "object of a = 1\n");
  EXPECT_FALSE(fs::exists(tree() / "fs" / ".a.o.cmd"));  // did not exist before: removed
  EXPECT_FALSE(JournalLeft());
  EXPECT_FALSE(fs::exists(overlay() / "backup"));
}

TEST_F(OverlayTest, DestructorRestoresOnErrorPaths) {
  {
    auto overlay_or = PatchOverlay::Apply(tree(), overlay(), {Patch(kOneToTwo)}, {});
    ASSERT_TRUE(overlay_or);
    EXPECT_EQ(Read("fs/a.c"), "int a = 2;\n");
  }  // e.g. the patched compile failed and the caller returned
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  EXPECT_FALSE(JournalLeft());
}

TEST_F(OverlayTest, CreatedFilesAreRemovedAndDeletedFilesComeBack) {
  std::string text =
      "--- /dev/null\n+++ b/fs/new.c\n@@ -0,0 +1 @@\n+int n;\n"
      "--- a/fs/a.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int a = 1;\n";
  {
    auto overlay_or = PatchOverlay::Apply(tree(), overlay(), {Patch(text)}, {});
    ASSERT_TRUE(overlay_or) << overlay_or.error().message;
    EXPECT_TRUE(fs::exists(tree() / "fs" / "new.c"));
    EXPECT_FALSE(fs::exists(tree() / "fs" / "a.c"));
  }
  EXPECT_FALSE(fs::exists(tree() / "fs" / "new.c"));
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
}

TEST_F(OverlayTest, PartlyApplyingPatchLeavesTheTreePristine) {
  ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / "a.c", "int a = 1;\n\n\n\n\n\n\n\n\nint z = 1;\n"));
  std::string text =
      "--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1 +1 @@\n-int a = 1;\n+int a = 2;\n"
      "@@ -10 +10 @@\n-int z = 9;\n+int z = 2;\n";
  auto overlay_or = PatchOverlay::Apply(tree(), overlay(), {Patch(text)}, {});
  ASSERT_FALSE(overlay_or);
  EXPECT_NE(overlay_or.error().message.find("fs/a.c: hunk #2 FAILED"), std::string::npos)
      << overlay_or.error().message;
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n\n\n\n\n\n\n\n\nint z = 1;\n");
  EXPECT_FALSE(JournalLeft());
}

TEST_F(OverlayTest, ProcessDeathIsRepairedByRecovery) {
  long long mtime = MtimeNs("fs/a.c");
  {
    auto overlay_or = PatchOverlay::Apply(tree(), overlay(), {Patch(kOneToTwo)}, {"fs/a.o"});
    ASSERT_TRUE(overlay_or);
    ASSERT_TRUE(WriteFileAtomic(tree() / "fs" / "a.o", "object of a = 2\n"));
    overlay_or->AbandonForTesting();  // as if killed here
  }
  EXPECT_EQ(Read("fs/a.c"), "int a = 2;\n");
  ASSERT_TRUE(JournalLeft());
  // A second build must not stack its patch on top.
  auto again = PatchOverlay::Apply(tree(), overlay(), {Patch(kOneToTwo)}, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  auto recovered = RecoverInterruptedOverlay(tree(), overlay());
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_TRUE(*recovered);
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  EXPECT_EQ(MtimeNs("fs/a.c"), mtime);
  EXPECT_EQ(Read("fs/a.o"), "object of a = 1\n");
  auto nothing = RecoverInterruptedOverlay(tree(), overlay());
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing);
}

TEST_F(OverlayTest, DeathBeforeTheJournalLeavesNothingToUndo) {
  ASSERT_TRUE(MakeDirs(overlay() / "backup" / "fs"));
  ASSERT_TRUE(WriteFileAtomic(overlay() / "backup" / "fs" / "a.c", "half-saved"));
  auto recovered = RecoverInterruptedOverlay(tree(), overlay());
  ASSERT_TRUE(recovered);
  EXPECT_FALSE(*recovered);
  EXPECT_EQ(Read("fs/a.c"), "int a = 1;\n");
  EXPECT_FALSE(fs::exists(overlay() / "backup"));
}

}  // namespace
}  // namespace lp::patchbuild::tree
