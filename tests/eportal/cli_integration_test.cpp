// The CLI's init and client commands in-process (cli::Main) against the real
// server on 127.0.0.1:0. Label integration.
#include <algorithm>

#include "common/file_util.hpp"
#include "eportal/cli.hpp"
#include "eportal/log.hpp"
#include "eportal/server.hpp"
#include "tests/eportal/portal_fixture.hpp"

namespace lp::eportal::testing {
namespace {

using nlohmann::json;
using ::testing::internal::CaptureStderr;
using ::testing::internal::CaptureStdout;
using ::testing::internal::GetCapturedStderr;
using ::testing::internal::GetCapturedStdout;

struct CliResult {
  int rc;
  std::string out;
  std::string err;  // usage and HTTP errors
};

CliResult RunCli(std::vector<std::string> args) {
  CaptureStdout();
  CaptureStderr();
  int rc = cli::Main(args);
  std::string out = GetCapturedStdout();
  std::string err = GetCapturedStderr();
  return {rc, out, err};
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class IntegrationCli : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogEnabled(false);
    pki_.WriteFiles(tmp_ / "keys");
    auto k = [&](const char* f) { return (tmp_ / "keys" / f).string(); };
    CliResult init = RunCli({"init", "--data-dir", (tmp_ / "data").string(), "--root-pub", k("root.pub"),
                             "--keys-json", k("keys.json"), "--keys-sig", k("keys.json.sig"), "--portal-key",
                             k("portal.key"), "--admin", "ops"});
    ASSERT_EQ(init.rc, 0);
    admin_ = Trim(init.out);
    ASSERT_EQ(admin_.rfind("ept_", 0), 0u) << admin_;
    auto portal = Portal::Open(tmp_ / "data");
    ASSERT_TRUE(portal) << portal.error().message;
    portal_ = std::move(*portal);
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.io_threads = 1;
    o.log_requests = false;
    auto server = Server::Start(*portal_, o);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  CliResult Client(std::vector<std::string> args, const std::string& token) {
    args.insert(args.begin(), {"--server", url_, "--token", token});
    return RunCli(args);
  }

  lp::testing::TempDir tmp_;
  TestPki pki_ = TestPki::Make();
  std::string admin_, url_;
  std::unique_ptr<Portal> portal_;
  std::unique_ptr<Server> server_;
};

TEST_F(IntegrationCli, AdminJourney) {
  BundleSpec spec;
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "x.bundle", MakeBundle(pki_, spec)));
  EXPECT_EQ(Client({"patch", "import", (tmp_ / "x.bundle").string()}, admin_).rc, 0);
  CliResult list = Client({"patch", "list"}, admin_);
  EXPECT_NE(list.out.find("lp-cmdline"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("CVE-2024-1234"), std::string::npos) << list.out;

  CliResult viewer = Client({"user", "add", "vera", "--role", "viewer", "--groups", "lab,prod"}, admin_);
  ASSERT_EQ(viewer.rc, 0);
  EXPECT_EQ(Client({"release", "lp-cmdline:1", "--group", "lab"}, Trim(viewer.out)).rc, 1) << "viewer may not";
  EXPECT_EQ(Client({"release", "lp-cmdline:1", "--group", "lab"}, admin_).rc, 0);

  CliResult token = Client({"token", "create", "--group", "lab"}, admin_);
  ASSERT_EQ(token.rc, 0);
  EXPECT_EQ(Trim(token.out).rfind("ete_", 0), 0u);

  CliResult status = Client({"status", "--json"}, Trim(viewer.out));
  ASSERT_EQ(status.rc, 0);
  EXPECT_EQ(json::parse(status.out)["patches"], 1);
  EXPECT_EQ(Client({"devices", "--exposed", "CVE-2024-1234"}, admin_).rc, 0);
  EXPECT_EQ(Client({"revert", "lp-cmdline", "--group", "lab"}, admin_).rc, 0);

  CliResult audit = Client({"audit", "--verify"}, admin_);
  EXPECT_EQ(audit.rc, 0);
  EXPECT_NE(audit.out.find("audit chain intact (6 entries)"), std::string::npos) << audit.out;
}

TEST_F(IntegrationCli, ServerAndTokenFromConfigFileOrEnvironment) {
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "client.conf", "server = " + url_ + "\ntoken = " + admin_ + "\n"));
  EXPECT_EQ(RunCli({"--config", (tmp_ / "client.conf").string(), "status"}).rc, 0);
  ::setenv("EPORTAL_TOKEN", "ept_wrong", 1);  // the environment beats the config file
  EXPECT_EQ(RunCli({"--config", (tmp_ / "client.conf").string(), "status"}).rc, 1);
  ::unsetenv("EPORTAL_TOKEN");
}

TEST_F(IntegrationCli, UsageErrorsAndRefusals) {
  EXPECT_EQ(RunCli({}).rc, 2);
  EXPECT_EQ(Client({"frobnicate"}, admin_).rc, 2);
  EXPECT_EQ(Client({"token", "create"}, admin_).rc, 2) << "--group is required";
  EXPECT_EQ(Client({"status"}, "ept_wrong").rc, 1);
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "bad.bundle", "not a bundle"));
  EXPECT_EQ(Client({"patch", "import", (tmp_ / "bad.bundle").string()}, admin_).rc, 1);
}

TEST_F(IntegrationCli, ImportOfAVersionUnderAnEarlierVersionsModuleNameIsRefused) {
  BundleSpec v1;
  BundleSpec v2;
  v2.version = 2;
  v2.module = "module v2";  // module_name lp_cmdline, as v1's
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "v1.bundle", MakeBundle(pki_, v1)));
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "v2.bundle", MakeBundle(pki_, v2)));
  ASSERT_EQ(Client({"patch", "import", (tmp_ / "v1.bundle").string()}, admin_).rc, 0);
  CliResult refused = Client({"patch", "import", (tmp_ / "v2.bundle").string()}, admin_);
  EXPECT_EQ(refused.rc, 1);
  EXPECT_TRUE(refused.out.empty()) << refused.out;
  EXPECT_NE(refused.err.find("HTTP 409: lp-cmdline version 2 for build " + TestIdentity().build_id +
                             ": module name lp_cmdline is taken by version 1 of the stream"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  CliResult list = Client({"patch", "list", "--json"}, admin_);
  ASSERT_EQ(list.rc, 0);
  ASSERT_EQ(json::parse(list.out)["patches"].size(), 1u) << list.out;
  EXPECT_EQ(json::parse(list.out)["patches"][0]["version"], 1);

  v2.module_name = "lp_cmdline_v2";
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "v2.bundle", MakeBundle(pki_, v2)));
  EXPECT_EQ(Client({"patch", "import", (tmp_ / "v2.bundle").string()}, admin_).rc, 0);
}

}  // namespace
}  // namespace lp::eportal::testing
