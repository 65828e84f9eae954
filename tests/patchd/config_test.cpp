#include "patchd/config.hpp"

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "patchd/kill_switch.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchd {
namespace {

EnvLookup NoEnv() {
  return [](const std::string&) { return std::string(); };
}

TEST(ConfigTest, ParsesKeyValueLinesWithCommentsAndBlanks) {
  auto keys = ParseKeyValues("# comment\n\nportal_url = https://p:8443 \n  kernel=fake:/tmp/x\n");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->at("portal_url"), "https://p:8443");
  EXPECT_EQ(keys->at("kernel"), "fake:/tmp/x");
}

TEST(ConfigTest, MalformedLineNamesTheLine) {
  auto keys = ParseKeyValues("a = 1\nno equals sign\n");
  ASSERT_FALSE(keys);
  EXPECT_NE(keys.error().message.find("line 2"), std::string::npos);
}

TEST(ConfigTest, UnknownKeyIsAnError) {
  auto c = ConfigFromKeys({{"portal_ulr", "x"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("portal_ulr"), std::string::npos);
}

TEST(ConfigTest, BadKernelAndNumberAreErrors) {
  EXPECT_FALSE(ConfigFromKeys({{"kernel", "qemu"}}));
  EXPECT_FALSE(ConfigFromKeys({{"poll_interval", "5m"}}));
}

TEST(ConfigTest, DefaultsAreTheRealSystemPaths) {
  auto c = ConfigFromKeys({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->paths.sysfs_root, "/sys");
  EXPECT_EQ(c->paths.procfs_root, "/proc");
  EXPECT_EQ(c->paths.state_dir, "/var/lib/patchd");
  EXPECT_EQ(c->kernel, "sysfs");
}

TEST(ConfigTest, FileSetsPathsAndEnvironmentWins) {
  lp::testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "p.conf", "state_dir = /cfg/state\nsysfs_root = /cfg/sys\n"));
  auto env = [](const std::string& name) {
    return name == "PATCHD_STATE_DIR" ? std::string("/env/state") : std::string();
  };
  auto c = LoadConfig(dir / "p.conf", env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->paths.state_dir, "/env/state");
  EXPECT_EQ(c->paths.sysfs_root, "/cfg/sys");
  EXPECT_EQ(c->paths.procfs_root, "/proc");
  EXPECT_EQ(c->paths.LivepatchDir(), "/cfg/sys/kernel/livepatch");
}

TEST(ConfigTest, MissingFileGivesDefaults) {
  lp::testing::TempDir dir;
  auto c = LoadConfig(dir / "absent.conf", NoEnv());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->poll_interval_s, 300);
}

TEST(KillSwitchTest, OffByDefaultOnByCmdlineOrFile) {
  lp::testing::TempDir dir;
  SystemPaths paths;
  paths.procfs_root = dir / "proc";
  paths.state_dir = dir / "state";
  ASSERT_TRUE(MakeDirs(paths.procfs_root));
  ASSERT_TRUE(MakeDirs(paths.state_dir));
  ASSERT_TRUE(WriteFileAtomic(paths.KernelCmdline(), "ro quiet patchd.disable=0\n"));
  EXPECT_FALSE(KillSwitchReason(paths));
  ASSERT_TRUE(WriteFileAtomic(paths.KernelCmdline(), "ro quiet patchd.disable=1\n"));
  EXPECT_TRUE(KillSwitchReason(paths));
  ASSERT_TRUE(WriteFileAtomic(paths.KernelCmdline(), "ro\n"));
  ASSERT_TRUE(WriteFileAtomic(paths.state_dir / "disabled", ""));
  auto reason = KillSwitchReason(paths);
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("disabled"), std::string::npos);
}


// Issue 10: a plain-HTTP portal is a one-line config error unless opted in.
TEST(ConfigTest, PlainHttpPortalNeedsTheOptIn) {
  auto c = ConfigFromKeys({{"portal_url", "http://portal:8080"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("allow_plain_http = 1"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().message.find('\n'), std::string::npos);
  auto opted = ConfigFromKeys({{"portal_url", "http://127.0.0.1:8080"}, {"allow_plain_http", "1"}});
  ASSERT_TRUE(opted) << opted.error().message;
  EXPECT_TRUE(opted->allow_plain_http);
  EXPECT_TRUE(ConfigFromKeys({{"portal_url", "https://portal:8443"}}));
  EXPECT_FALSE(ConfigFromKeys({{"portal_url", "ftp://portal"}}));
  EXPECT_FALSE(ConfigFromKeys({{"allow_plain_http", "yes"}}));
}

}  // namespace
}  // namespace lp::patchd
