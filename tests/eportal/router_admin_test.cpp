// Admin endpoints through the pure router: roles, scopes, import, status, audit.
#include <filesystem>

#include "common/file_util.hpp"
#include "tests/eportal/portal_fixture.hpp"

namespace lp::eportal::testing {
namespace {

using nlohmann::json;

class RouterAdminTest : public PortalFixture {
 protected:
  int Release(const std::string& token, const std::string& group) {
    return Call("POST", "/api/v1/admin/releases",
                json{{"patch_id", "lp-cmdline"}, {"version", 1}, {"group", group}}.dump(), token)
        .status;
  }
  std::size_t BlobFiles() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(data_dir_ / "blobs")) ++n;
    return n;
  }
};

TEST_F(RouterAdminTest, RolesAreEnforcedByTheServer) {
  ASSERT_EQ(Call("POST", "/api/v1/admin/patches", MakeBundle(pki_), admin_token_).status, 200);
  std::string viewer = AddUser("vera", "viewer");
  std::string releaser = AddUser("rick", "releaser", {"lab"});
  EXPECT_EQ(Release("", "lab"), 401);
  EXPECT_EQ(Release("ept_forged", "lab"), 401);
  EXPECT_EQ(Release(viewer, "lab"), 403);
  EXPECT_EQ(Release(releaser, "prod"), 403) << "outside rick's groups";
  EXPECT_EQ(Release(releaser, "lab"), 200);
  EXPECT_EQ(Call("POST", "/api/v1/admin/patches", MakeBundle(pki_), viewer).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/admin/users", R"({"name":"x","role":"admin"})", releaser).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/admin/audit", "", viewer).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/admin/status", "", viewer).status, 200);
}

TEST_F(RouterAdminTest, ScopedViewerSeesOnlyItsGroups) {
  Enroll("lab");
  Enroll("prod");
  std::string viewer = AddUser("vera", "viewer", {"lab"});
  json devices = CallJson("GET", "/api/v1/admin/devices", nullptr, viewer);
  ASSERT_EQ(devices["devices"].size(), 1u);
  EXPECT_EQ(devices["devices"][0]["group"], "lab");
  EXPECT_EQ(CallJson("GET", "/api/v1/admin/devices?group=prod", nullptr, admin_token_)["devices"].size(), 1u);
}

TEST_F(RouterAdminTest, DuplicateUserIsAConflict) {
  AddUser("vera", "viewer");
  EXPECT_EQ(Call("POST", "/api/v1/admin/users", R"({"name":"vera","role":"viewer"})", admin_token_).status, 409);
  EXPECT_EQ(Call("POST", "/api/v1/admin/users", R"({"name":"x","role":"boss"})", admin_token_).status, 400);
}

TEST_F(RouterAdminTest, ImportReturnsSummaryAndIsIdempotent) {
  std::string bundle = MakeBundle(pki_);
  json summary = json::parse(Call("POST", "/api/v1/admin/patches", bundle, admin_token_).body);
  EXPECT_EQ(summary["patch_id"], "lp-cmdline");
  EXPECT_EQ(summary["cves"], json::array({"CVE-2024-1234"}));
  EXPECT_EQ(Call("POST", "/api/v1/admin/patches", bundle, admin_token_).status, 200);
  BundleSpec different;
  different.module = "other bytes, same id and version";
  EXPECT_EQ(Call("POST", "/api/v1/admin/patches", MakeBundle(pki_, different), admin_token_).status, 409);
  EXPECT_EQ(CallJson("GET", "/api/v1/admin/patches", nullptr, admin_token_)["patches"].size(), 1u);
}

TEST_F(RouterAdminTest, TamperedBundleIsRefusedAndStoresNothing) {
  BundleSpec spec;
  std::string bundle = MakeBundle(pki_, spec);
  auto at = bundle.find(spec.module);
  ASSERT_NE(at, std::string::npos);
  bundle[at + 5] ^= 0x20;  // one flipped bit in the module
  Response r = Call("POST", "/api/v1/admin/patches", bundle, admin_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("verification_failed"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("sha256"), std::string::npos) << "the reason is named: " << r.body;

  TestPki stranger = TestPki::Make();  // a chain from a root this portal does not trust
  r = Call("POST", "/api/v1/admin/patches", MakeBundle(stranger, spec), admin_token_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Call("POST", "/api/v1/admin/patches", "not a bundle", admin_token_).status, 400);

  EXPECT_TRUE(CallJson("GET", "/api/v1/admin/patches", nullptr, admin_token_)["patches"].empty());
  EXPECT_EQ(BlobFiles(), 0u);
  EXPECT_TRUE(portal_->services().store.ListPatches()->empty());
  EXPECT_EQ(portal_->services().store.ListAudit()->size(), 1u) << "only the init entry";
}

TEST_F(RouterAdminTest, ReleaseOfUnknownPatchIs404) {
  EXPECT_EQ(Release(admin_token_, "lab"), 404);
}

TEST_F(RouterAdminTest, StatusCountsPatchedPendingAndExposed) {
  Enrolled a = Enroll("lab");
  Enrolled b = Enroll("lab");
  ImportAndRelease({}, "lab");
  json id = {{"release", TestIdentity().release}, {"build_id", TestIdentity().build_id}, {"arch", "x86_64"}};
  json applied = json::array({{{"patch_id", "lp-cmdline"}, {"version", 1}, {"state", "applied"}}});
  Call("POST", "/api/v1/checkin", json{{"identity", id}, {"applied", applied}}.dump(), a.credential);
  Call("POST", "/api/v1/checkin", json{{"identity", id}, {"applied", json::array()}}.dump(), b.credential);
  json status = CallJson("GET", "/api/v1/admin/status", nullptr, admin_token_);
  EXPECT_EQ(status["devices"], 2);
  EXPECT_EQ(status["patched"], 1);
  EXPECT_EQ(status["pending"], 1);
  ASSERT_EQ(status["kernels"].size(), 1u);
  EXPECT_EQ(status["kernels"][0]["devices"], 2);
  json exposed = CallJson("GET", "/api/v1/admin/devices?exposed=CVE-2024-1234", nullptr, admin_token_);
  ASSERT_EQ(exposed["devices"].size(), 1u);
  EXPECT_EQ(exposed["devices"][0]["device_id"], b.device_id);
  now_ += 3600;
  EXPECT_EQ(CallJson("GET", "/api/v1/admin/status", nullptr, admin_token_)["stale"], 2);
}

TEST_F(RouterAdminTest, AuditLogRecordsChangesAndVerifies) {
  ImportAndRelease({}, "lab");
  json audit = CallJson("GET", "/api/v1/admin/audit", nullptr, admin_token_);
  EXPECT_TRUE(audit["verify"]["ok"]);
  std::vector<std::string> actions;
  for (const auto& e : audit["entries"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"init", "patch.import", "release"}));
}

TEST_F(RouterAdminTest, StateSurvivesARestart) {
  Enrolled d = Enroll("lab");
  ImportAndRelease({}, "lab");
  portal_.reset();
  auto reopened = Portal::Open(data_dir_);
  ASSERT_TRUE(reopened) << reopened.error().message;
  portal_ = std::move(*reopened);
  portal_->services().now = [this] { return now_; };
  json id = {{"release", TestIdentity().release}, {"build_id", TestIdentity().build_id}, {"arch", "x86_64"}};
  Response r = Call("POST", "/api/v1/checkin", json{{"identity", id}}.dump(), d.credential);
  ASSERT_EQ(r.status, 200);
  json payload = json::parse(Base64Decode(json::parse(r.body)["payload"].get<std::string>()).value());
  EXPECT_EQ(payload["patches"].size(), 1u);
}

// serve opens the back-end init used, or says which one that was.
TEST_F(RouterAdminTest, OpenRefusesTheOtherBackEnd) {
  portal_.reset();
  auto pg = Portal::Open(data_dir_, {}, "host=/nonexistent dbname=eportal");
  ASSERT_FALSE(pg);
  EXPECT_NE(pg.error().message.find("holds a SQLite portal (portal.db): serve it without --database"),
            std::string::npos)
      << pg.error().message;
  std::filesystem::rename(data_dir_ / "portal.db", data_dir_ / "portal.db.away");
  auto sqlite = Portal::Open(data_dir_);
  ASSERT_FALSE(sqlite);
  EXPECT_NE(sqlite.error().message.find("has no portal.db: it was initialised with --database"), std::string::npos)
      << sqlite.error().message;
  EXPECT_FALSE(std::filesystem::exists(data_dir_ / "portal.db"));  // not created empty on the way
}

TEST(InitDataDirTest, RefusesPortalKeyNotInKeysDocument) {
  lp::testing::TempDir tmp;
  TestPki pki = TestPki::Make();
  pki.WriteFiles(tmp / "keys");
  Ed25519Key other = Ed25519Key::Generate().value();
  ASSERT_TRUE(WriteFileAtomic(tmp / "keys" / "portal.key", other.PrivatePem().value()));
  InitOptions init{tmp / "data", tmp / "keys" / "root.pub", tmp / "keys" / "keys.json",
                   tmp / "keys" / "keys.json.sig", tmp / "keys" / "portal.key"};
  auto token = InitDataDir(init, kTestNow);
  ASSERT_FALSE(token);
  EXPECT_NE(token.error().message.find("portal role"), std::string::npos) << token.error().message;
}

}  // namespace
}  // namespace lp::eportal::testing
