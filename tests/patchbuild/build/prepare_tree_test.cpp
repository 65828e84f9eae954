// PrepareTree on a fake source (a Makefile with the version and stand-ins
// for olddefconfig and prepare) and a fake target headers dir: the cache,
// stamp, lock, version and drift checks without a kernel.
#include "patchbuild/build/kernel_tree.hpp"

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "patchbuild/build/command.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {
namespace fs = std::filesystem;

std::string FakeMakefile(int sublevel) {
  return "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = " + std::to_string(sublevel) +
         "\nEXTRAVERSION =\n"
         "olddefconfig:\n\t@if [ -e drift ]; then echo CONFIG_DRIFT=y >> .config; fi\n"
         "prepare:\n\t@if [ -e fail ]; then echo 'a line before'; echo 'scripts/pahole-version.sh: pahole not found'; exit 2; fi\n"
         "\t@echo \"$(KCFLAGS)\" > prepared-by-make\n";
}

class PrepareTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path headers = dir_ / "usr-src" / "linux-headers-6.1.0-99-fake";
    ASSERT_TRUE(MakeDirs(headers / "include" / "generated"));
    ASSERT_TRUE(WriteFileAtomic(headers / "Makefile", "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\n"));
    ASSERT_TRUE(WriteFileAtomic(headers / ".config", "CONFIG_A=y\n# CONFIG_B is not set\n"));
    ASSERT_TRUE(WriteFileAtomic(headers / ".kernelvariables", "override KERNELRELEASE = 6.1.0-99-fake\n"));
    ASSERT_TRUE(WriteFileAtomic(headers / "include" / "generated" / "package.h",
                                "#define LINUX_PACKAGE_ID \" Debian 6.1.192-2\"\n"));
    ASSERT_TRUE(MakeDirs(source()));
    ASSERT_TRUE(WriteFileAtomic(source() / "Makefile", FakeMakefile(192)));
    options_.source = source();
    options_.target.release = "6.1.0-99-fake";
    options_.roots.usr_src = dir_ / "usr-src";
    options_.roots.lib_modules = dir_ / "lib-modules";
    options_.cache_dir = dir_ / "cache";
    options_.source_debian_version = "6.1.192-2";
  }
  fs::path source() const { return dir_ / "src" / "linux-source-6.1"; }

  lp::testing::TempDir dir_;
  TreeOptions options_;
};

TEST_F(PrepareTreeTest, PreparesOnceThenReuses) {
  fs::path tree_dir;
  {
    auto tree = PrepareTree(options_);
    ASSERT_TRUE(tree) << tree.error().message;
    EXPECT_FALSE(tree->reused);
    EXPECT_EQ(tree->source_version.Describe(), "6.1.192 (Debian 6.1.192-2)");
    EXPECT_EQ(tree->target.version.debian, "6.1.192-2");
    EXPECT_EQ(ReadFile(tree->source_dir / ".config").value(), "CONFIG_A=y\n# CONFIG_B is not set\n");
    EXPECT_EQ(ReadFile(tree->source_dir / "prepared-by-make").value(), std::string(kExtraCflags) + "\n");
    EXPECT_TRUE(fs::exists(tree->dir / "prepared"));
    EXPECT_EQ(tree->dir.parent_path(), fs::absolute(options_.cache_dir));
    EXPECT_EQ(tree->dir.filename().string().rfind("6.1.0-99-fake-", 0), 0u);
    tree_dir = tree->dir;
    // Held while the tree is in use: another build waits.
    EXPECT_FALSE(FileLock::TryAcquire(tree->dir / "lock"));
  }
  auto again = PrepareTree(options_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->dir, tree_dir);
  EXPECT_EQ(again->source_version.Describe(), "6.1.192 (Debian 6.1.192-2)");  // from the stamp
}

TEST_F(PrepareTreeTest, HalfPreparedTreeIsPreparedAgain) {
  fs::path marker;
  {
    auto tree = PrepareTree(options_);
    ASSERT_TRUE(tree);
    marker = tree->source_dir / "left-over";
    ASSERT_TRUE(WriteFileAtomic(marker, "x"));
    fs::remove(tree->dir / "prepared");  // as if killed before the stamp
  }
  auto tree = PrepareTree(options_);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_FALSE(tree->reused);
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(PrepareTreeTest, OtherConfigGetsItsOwnTree) {
  auto first = PrepareTree(options_);
  ASSERT_TRUE(first);
  fs::path other_config = dir_ / "other.config";
  ASSERT_TRUE(WriteFileAtomic(other_config, "CONFIG_A=m\n"));
  options_.target.config = other_config;
  auto second = PrepareTree(options_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE(first->dir, second->dir);
}

TEST_F(PrepareTreeTest, SourceOfAnotherVersionIsRefused) {
  ASSERT_TRUE(WriteFileAtomic(source() / "Makefile", FakeMakefile(150)));
  auto tree = PrepareTree(options_);
  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error().code, ErrorCode::kConflict);
  EXPECT_NE(tree.error().message.find(
                "source tree is 6.1.150 (Debian 6.1.192-2), target 6.1.0-99-fake was built from 6.1.192 (Debian 6.1.192-2)"),
            std::string::npos)
      << tree.error().message;
}

TEST_F(PrepareTreeTest, ConfigDriftIsAnErrorAndNoTreeIsLeft) {
  ASSERT_TRUE(WriteFileAtomic(source() / "drift", ""));
  auto tree = PrepareTree(options_);
  ASSERT_FALSE(tree);
  EXPECT_NE(tree.error().message.find("config drifted after olddefconfig"), std::string::npos);
  EXPECT_NE(tree.error().message.find("CONFIG_DRIFT: target (absent), tree y"), std::string::npos)
      << tree.error().message;
  for (const auto& entry : fs::directory_iterator(options_.cache_dir))
    EXPECT_FALSE(fs::exists(entry.path() / "linux"));
}

TEST_F(PrepareTreeTest, FailedPrepareIsOneLineWithItsLog) {
  ASSERT_TRUE(WriteFileAtomic(source() / "fail", ""));
  auto tree = PrepareTree(options_);
  ASSERT_FALSE(tree);
  const std::string& m = tree.error().message;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("failed (exit 2): scripts/pahole-version.sh: pahole not found (log: "), std::string::npos) << m;
  std::string log_path = m.substr(m.find("(log: ") + 6);
  log_path.pop_back();
  auto log = ReadFile(log_path);
  ASSERT_TRUE(log) << log_path;
  EXPECT_NE(log->find("a line before"), std::string::npos);
}

TEST_F(PrepareTreeTest, UnpacksATarball) {
  fs::path tarball = dir_ / "linux-source-6.1.tar.gz";
  auto tar = RunCommand(Command({"tar", "-czf", tarball.string(), "-C", (dir_ / "src").string(), "linux-source-6.1"}));
  ASSERT_TRUE(tar && tar->ok());
  options_.source = tarball;
  auto tree = PrepareTree(options_);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_TRUE(fs::exists(tree->source_dir / "Makefile"));
  EXPECT_TRUE(fs::exists(tree->source_dir / "prepared-by-make"));
}

TEST_F(PrepareTreeTest, MissingTargetFilesAreNamed) {
  options_.target.release = "6.1.0-1-nothere";
  auto tree = PrepareTree(options_);
  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error().code, ErrorCode::kNotFound);
  EXPECT_NE(tree.error().message.find("6.1.0-1-nothere/build/.config is missing"), std::string::npos)
      << tree.error().message;
  options_.target.release = "../etc";
  EXPECT_FALSE(PrepareTree(options_));
}

TEST(DefaultCacheDir, EnvironmentWins) {
  ::setenv("FLEETPATCH_CACHE_DIR", "/some/where", 1);
  EXPECT_EQ(DefaultCacheDir(), "/some/where");
  ::unsetenv("FLEETPATCH_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(DefaultCacheDir(), "/xdg/fleetpatch/trees");
  ::unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace lp::patchbuild::tree
