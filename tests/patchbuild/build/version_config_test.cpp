#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "patchbuild/build/config_check.hpp"
#include "patchbuild/build/kernel_version.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {

TEST(MakefileVersion, ReadsTheTopMakefile) {
  auto v = ParseMakefileVersion("# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = x\n");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->Upstream(), "6.1.192");
  EXPECT_FALSE(ParseMakefileVersion("VERSION = 6\n"));
}

TEST(MakefileVersion, FollowsDebiansHeadersInclude) {
  lp::testing::TempDir dir;
  ASSERT_TRUE(MakeDirs(dir / "common"));
  ASSERT_TRUE(WriteFileAtomic(dir / "common" / "Makefile", "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 7\n"));
  ASSERT_TRUE(WriteFileAtomic(dir / "Makefile", "include " + (dir / "common" / "Makefile").string() + "\n"));
  auto v = ReadMakefileVersion(dir / "Makefile");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->sublevel, 7);
}

TEST(MakefileVersion, DebianPackageIdFromGeneratedHeader) {
  lp::testing::TempDir dir;
  ASSERT_TRUE(MakeDirs(dir / "include" / "generated"));
  ASSERT_TRUE(WriteFileAtomic(dir / "include" / "generated" / "package.h",
                              "#define LINUX_PACKAGE_ID \" Debian 6.1.192-2\"\n"));
  EXPECT_EQ(ReadDebianPackageId(dir.path()), "6.1.192-2");
  EXPECT_EQ(ReadDebianPackageId(dir / "nothing"), "");
}

TEST(MakefileVersion, MismatchSaysBothVersions) {
  KernelVersion source{6, 1, 190, "", ""};
  KernelVersion target{6, 1, 192, "", "6.1.192-2"};
  auto st = CheckSameVersion(source, target, "6.1.0-56-amd64");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            "source tree is 6.1.190, target 6.1.0-56-amd64 was built from 6.1.192 (Debian 6.1.192-2)");
  source.sublevel = 192;
  EXPECT_TRUE(CheckSameVersion(source, target, "r"));  // Debian version unknown on one side
  source.debian = "6.1.192-1";
  EXPECT_FALSE(CheckSameVersion(source, target, "r"));
}

TEST(ConfigCheck, IdenticalOptionsAreNoDrift) {
  std::string a = "#\n# Automatically generated\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S=\"x\"\n";
  std::string b = "CONFIG_S=\"x\"\n# CONFIG_B is not set\n# other comment\nCONFIG_A=y\n";
  EXPECT_TRUE(ConfigDifferences(a, b).empty());
}

TEST(ConfigCheck, ReportsChangedMissingAndExtraOptions) {
  std::string target = "CONFIG_A=y\nCONFIG_B=m\nCONFIG_CC_VERSION_TEXT=\"gcc-12\"\n";
  std::string tree = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_CC_VERSION_TEXT=\"gcc-13\"\nCONFIG_NEW=y\n";
  auto d = ConfigDifferences(target, tree);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], "CONFIG_B: target m, tree n");
  EXPECT_EQ(d[1], "CONFIG_CC_VERSION_TEXT: target \"gcc-12\", tree \"gcc-13\"");
  EXPECT_EQ(d[2], "CONFIG_NEW: target (absent), tree y");
}

}  // namespace
}  // namespace lp::patchbuild::tree
