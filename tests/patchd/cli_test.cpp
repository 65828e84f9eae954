// The patchctl and patchd command lines, in-process, against a fake kernel
// selected by the config file (kernel = fake:<dir>), as the simulator uses it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "patchd/cli.hpp"
#include "tests/patchd/patch_world.hpp"

namespace lp::patchd::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    const auto& c = w_.config;
    std::string text = "# test device\nroot_key = " + c.root_key.string() + "\nstate_dir = " +
                       c.paths.state_dir.string() + "\nsysfs_root = " + c.paths.sysfs_root.string() +
                       "\nprocfs_root = " + c.paths.procfs_root.string() + "\nkernel = " + c.kernel +
                       "\nfake_release = " + w_.identity.release + "\nfake_arch = " + w_.identity.arch +
                       "\nfake_build_id = " + w_.identity.build_id + "\ntransition_timeout = 2\n";
    EXPECT_TRUE(WriteFileAtomic(w_.dir / "patchd.conf", text));
  }

  int Run(bool patchctl, std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {patchctl ? "patchctl" : "patchd", "--config", (w_.dir / "patchd.conf").string()});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ::testing::internal::CaptureStdout();
    int rc = patchctl ? cli::PatchctlMain(static_cast<int>(argv.size()), argv.data())
                      : cli::PatchdMain(static_cast<int>(argv.size()), argv.data());
    std::string text = ::testing::internal::GetCapturedStdout();
    if (out) *out = text;
    return rc;
  }

  PatchWorld w_;
};

TEST_F(CliTest, StatusBeforeAnythingSaysNothingApplied) {
  std::string out;
  EXPECT_EQ(Run(true, {"status"}, &out), 2);
  EXPECT_NE(out.find("none loaded"), std::string::npos) << out;
}

TEST_F(CliTest, ApplyStatusListRevert) {
  auto bundle = w_.WriteBundle(w_.MakePatch("lp-cmdline", 4, "lp_cmdline"));
  std::string out;
  ASSERT_EQ(Run(true, {"apply", bundle.string()}, &out), 0) << out;
  EXPECT_NE(out.find("applied lp-cmdline v4"), std::string::npos) << out;
  ASSERT_EQ(Run(true, {"status", "--json"}, &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["kernel"]["build_id"], w_.identity.build_id);
  EXPECT_EQ(j["livepatch_supported"], true);
  ASSERT_EQ(j["patches"].size(), 1u);
  EXPECT_EQ(j["patches"][0]["patch_id"], "lp-cmdline");
  EXPECT_EQ(j["patches"][0]["in_effect"], true);
  EXPECT_EQ(j["patches"][0]["objects"][0]["functions"][0]["name"], "cmdline_proc_show");
  EXPECT_EQ(j["cves_fixed"], nlohmann::json::array({"CVE-2024-1234"}));
  ASSERT_EQ(Run(true, {"list"}, &out), 0);
  EXPECT_NE(out.find("lp-cmdline\tv4\tapplied"), std::string::npos) << out;
  ASSERT_EQ(Run(true, {"revert"}, &out), 0) << out;
  EXPECT_NE(out.find("reverted lp-cmdline v4"), std::string::npos) << out;
  EXPECT_EQ(Run(true, {"status"}, &out), 2) << out;
}

TEST_F(CliTest, AfterRebootStatusIsPendingUntilApplyCached) {
  ASSERT_EQ(Run(true, {"apply", w_.WriteBundle(w_.MakePatch("lp-cmdline", 1, "lp_cmdline")).string()}), 0);
  std::filesystem::remove_all(w_.config.paths.sysfs_root / "kernel" / "livepatch" / "lp_cmdline");
  std::filesystem::remove_all(w_.config.paths.sysfs_root / "module" / "lp_cmdline");
  EXPECT_EQ(Run(true, {"status"}), 3);
  EXPECT_EQ(Run(false, {"--apply-cached"}), 0);
  EXPECT_EQ(Run(true, {"status"}), 0);
}

TEST_F(CliTest, TamperedBundleIsRefusedWithExitOne) {
  auto p = w_.MakePatch("lp-cmdline", 1, "lp_cmdline");
  p.module += "tampered";
  std::string out;
  EXPECT_EQ(Run(true, {"apply", w_.WriteBundle(p).string()}, &out), 1);
  EXPECT_EQ(Run(true, {"status"}), 2);
}

TEST_F(CliTest, UnknownCommandAndUnsupportedKernel) {
  EXPECT_EQ(Run(true, {"frobnicate"}), 1);
  EXPECT_EQ(Run(false, {"--no-such-flag"}), 1);
  std::filesystem::remove_all(w_.config.paths.sysfs_root / "kernel" / "livepatch");
  ASSERT_TRUE(WriteFileAtomic(w_.dir / "patchd.conf",
                              "kernel = sysfs\nsysfs_root = " + w_.config.paths.sysfs_root.string() +
                                  "\nstate_dir = " + w_.config.paths.state_dir.string() + "\n"));
  EXPECT_EQ(Run(true, {"status"}), 4);
}

}  // namespace
}  // namespace lp::patchd::testing
