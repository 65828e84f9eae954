// OriginalStampStore on the fake tree (fake_tree.hpp): when the original
// side's make may be skipped, and what makes a unit stale again.
#include "patchbuild/build/original_stamp.hpp"

#include <sys/stat.h>
#include <utime.h>

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "patchbuild/build/command.hpp"
#include "tests/patchbuild/build/fake_tree.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {
namespace fs = std::filesystem;

class OriginalStampTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_ = testing::MakeFakeTree(dir_ / "cache");
    store_ = {tree_.source_dir, dir_ / "stamps"};
    key_ = OriginalStampStore::BuildKey({"make", "-C", "x", "-j2", "KCFLAGS=-ffunction-sections"}, "/usr/bin:/bin");
    Make({"fs/a.o", "fs/b.o"});
  }
  void Make(const std::vector<std::string>& goals) {
    auto run = RunCommand(BuildCommand(tree_.MakeArgv(goals)));
    ASSERT_TRUE(run && run->ok()) << (run ? run->output : run.error().message);
  }
  std::vector<std::string> StaleObjects(const std::string& key) {
    auto stale = store_.Stale(units_, key);
    EXPECT_TRUE(stale) << stale.error().message;
    std::vector<std::string> names;
    if (stale)
      for (const auto& u : *stale) names.push_back(u.object.string());
    return names;
  }
  // Sets the mtime of a tree file `seconds` after the object's.
  void TouchAfterObject(const std::string& rel, int seconds) {
    struct stat st {};
    ASSERT_EQ(::stat((tree_.source_dir / "fs/a.o").c_str(), &st), 0);
    utimbuf times{st.st_mtime + seconds, st.st_mtime + seconds};
    ASSERT_EQ(::utime((tree_.source_dir / rel).c_str(), &times), 0);
  }

  lp::testing::TempDir dir_;
  PreparedTree tree_;
  OriginalStampStore store_;
  std::string key_;
  std::vector<TranslationUnit> units_ = {{"fs/a.c", "fs/a.o"}, {"fs/b.c", "fs/b.o"}};
};

using Names = std::vector<std::string>;

TEST_F(OriginalStampTest, WithoutStampsEveryUnitIsStaleAndNothingIsRemoved) {
  EXPECT_EQ(StaleObjects(key_), (Names{"fs/a.o", "fs/b.o"}));
  EXPECT_TRUE(fs::exists(tree_.source_dir / "fs/a.o"));
}

TEST_F(OriginalStampTest, RecordedUnitsAreCurrentUnderTheSameKey) {
  ASSERT_TRUE(store_.Record(units_, key_));
  EXPECT_EQ(StaleObjects(key_), Names{});
  EXPECT_TRUE(fs::exists(dir_ / "stamps/fs/a.o.stamp"));
}

TEST_F(OriginalStampTest, TheKeyIgnoresJobsButNotFlagsOrPath) {
  const std::vector<std::string> argv = {"make", "-C", "x", "-j2", "KCFLAGS=-ffunction-sections"};
  EXPECT_EQ(key_, OriginalStampStore::BuildKey({"make", "-C", "x", "-j8", "KCFLAGS=-ffunction-sections"},
                                               "/usr/bin:/bin"));
  EXPECT_NE(key_, OriginalStampStore::BuildKey({"make", "-C", "x", "-j2", "KCFLAGS=-ffunction-sections -I/k"},
                                               "/usr/bin:/bin"));
  EXPECT_NE(key_, OriginalStampStore::BuildKey(argv, "/opt/gcc/bin:/usr/bin:/bin"));
  ASSERT_TRUE(store_.Record(units_, key_));
  EXPECT_EQ(StaleObjects(OriginalStampStore::BuildKey(argv, "/opt/gcc/bin")), (Names{"fs/a.o", "fs/b.o"}));
}

TEST_F(OriginalStampTest, ANewerSourceOrHeaderMakesItsUsersStale) {
  ASSERT_TRUE(store_.Record(units_, key_));
  TouchAfterObject("fs/local.h", 5);  // only fs/b.c includes it
  EXPECT_EQ(StaleObjects(key_), Names{"fs/b.o"});
  TouchAfterObject("fs/a.c", 5);
  EXPECT_EQ(StaleObjects(key_), (Names{"fs/a.o", "fs/b.o"}));
}

// $(wildcard include/config/X) counts once the file exists (a config switch
// flipped by the kernel's syncconfig).
TEST_F(OriginalStampTest, AnOptionalPrerequisiteCountsOnlyWhenItExists) {
  ASSERT_TRUE(store_.Record(units_, key_));
  fs::create_directories(tree_.source_dir / "include/config");
  ASSERT_TRUE(WriteFileAtomic(tree_.source_dir / "include/config/X", ""));
  TouchAfterObject("include/config/X", -5);
  EXPECT_EQ(StaleObjects(key_), Names{});
  TouchAfterObject("include/config/X", 5);
  EXPECT_EQ(StaleObjects(key_), (Names{"fs/a.o", "fs/b.o"}));
}

// A patched object left behind, or one cut short by a kill during its
// compile: make would keep it (it is newer than its sources), so it goes.
TEST_F(OriginalStampTest, AnObjectThatIsNotTheStampedOneIsStaleAndRemoved) {
  ASSERT_TRUE(store_.Record(units_, key_));
  ASSERT_TRUE(WriteFileAtomic(tree_.source_dir / "fs/a.o", "int a = 2; /* patched */\n"));
  EXPECT_EQ(StaleObjects(key_), Names{"fs/a.o"});
  EXPECT_FALSE(fs::exists(tree_.source_dir / "fs/a.o"));
  EXPECT_TRUE(fs::exists(tree_.source_dir / "fs/b.o"));
  Make({"fs/a.o"});  // what CompileTwice does next
  EXPECT_NE(ReadFile(tree_.source_dir / "fs/a.o")->find("int a = 1;"), std::string::npos);
}

TEST_F(OriginalStampTest, AChangedOrMissingRecordIsStale) {
  ASSERT_TRUE(store_.Record(units_, key_));
  ASSERT_TRUE(WriteFileAtomic(tree_.source_dir / "fs/.a.o.cmd", "cmd_fs/a.o := other\n"));
  fs::remove(tree_.source_dir / "fs/.b.o.cmd");
  EXPECT_EQ(StaleObjects(key_), (Names{"fs/a.o", "fs/b.o"}));
  EXPECT_TRUE(fs::exists(tree_.source_dir / "fs/a.o"));  // the object itself is the stamped one
}

TEST_F(OriginalStampTest, AGarbledStampIsIgnored) {
  ASSERT_TRUE(store_.Record(units_, key_));
  ASSERT_TRUE(WriteFileAtomic(dir_ / "stamps/fs/a.o.stamp", "garbage\n"));
  EXPECT_EQ(StaleObjects(key_), Names{"fs/a.o"});
  EXPECT_TRUE(fs::exists(tree_.source_dir / "fs/a.o"));
}

TEST_F(OriginalStampTest, RecordingAMissingObjectFails) {
  fs::remove(tree_.source_dir / "fs/a.o");
  auto recorded = store_.Record(units_, key_);
  ASSERT_FALSE(recorded);
  EXPECT_NE(recorded.error().message.find("fs/a.o: no object or kbuild record after make"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild::tree
