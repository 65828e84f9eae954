// Device endpoints through the pure router: enroll, check-in, blobs, reports.
#include "tests/eportal/portal_fixture.hpp"

namespace lp::eportal::testing {
namespace {

using nlohmann::json;

json CheckinBody(const KernelIdentity& id = TestIdentity(), json applied = json::array()) {
  return {{"identity", {{"release", id.release}, {"build_id", id.build_id}, {"arch", id.arch}}},
          {"applied", std::move(applied)},
          {"last_error", ""},
          {"wait", 0}};
}

class RouterDeviceTest : public PortalFixture {
 protected:
  Response Checkin(const std::string& credential, const json& body = CheckinBody(), const std::string& etag = "") {
    std::map<std::string, std::string> headers;
    if (!etag.empty()) headers["if-none-match"] = etag;
    return Call("POST", "/api/v1/checkin", body.dump(), credential, headers);
  }

  // Verifies the envelope as a device would and returns the payload.
  json VerifiedPayload(const Response& r) {
    auto env = json::parse(r.body);
    auto keys = VerifyKeysDocument(Base64Decode(env.at("keys_json").get<std::string>()).value(),
                                   Base64Decode(env.at("keys_sig").get<std::string>()).value(), pki_.root, now_);
    EXPECT_TRUE(keys) << keys.error().message;
    std::string payload = Base64Decode(env.at("payload").get<std::string>()).value();
    Status sig = TrustStore(*keys).VerifyPortalSignature(
        payload, Base64Decode(env.at("signature").get<std::string>()).value(), env.at("key_id").get<std::string>());
    EXPECT_TRUE(sig) << sig.error().message;
    return json::parse(payload);
  }
};

TEST_F(RouterDeviceTest, EnrollWithGoodTokenGivesCredential) {
  Enrolled d = Enroll("lab");
  EXPECT_EQ(d.device_id.rfind("d-", 0), 0u);
  EXPECT_FALSE(d.credential.empty());
  EXPECT_EQ(Checkin(d.credential).status, 200);
}

TEST_F(RouterDeviceTest, EnrollWithUnknownOrExpiredTokenIs401) {
  json body = CheckinBody();
  body["token"] = "ete_nope";
  EXPECT_EQ(Call("POST", "/api/v1/enroll", body.dump()).status, 401);
  body["token"] = CreateEnrollToken("lab");
  now_ += 8 * 86400;  // default lifetime is 7 days
  EXPECT_EQ(Call("POST", "/api/v1/enroll", body.dump()).status, 401);
}

TEST_F(RouterDeviceTest, CheckinNeedsAValidCredential) {
  EXPECT_EQ(Checkin("").status, 401);
  EXPECT_EQ(Checkin("epd_forged").status, 401);
}

TEST_F(RouterDeviceTest, CheckinAnswerIsSignedFreshAndCarriesReleasedPatch) {
  Enrolled d = Enroll("lab");
  ImportAndRelease({}, "lab");
  Response r = Checkin(d.credential);
  ASSERT_EQ(r.status, 200) << r.body;
  json p = VerifiedPayload(r);
  EXPECT_EQ(p["device_id"], d.device_id);
  EXPECT_EQ(p["issued"], FormatTime(now_));
  EXPECT_GT(ParseTime(p["expires"].get<std::string>()).value(), now_);
  ASSERT_EQ(p["patches"].size(), 1u);
  auto keys = TrustStore(ParseKeysDocument(pki_.keys_json).value());
  auto manifest = keys.VerifyManifest(Base64Decode(p["patches"][0]["manifest"].get<std::string>()).value(),
                                      Base64Decode(p["patches"][0]["manifest_sig"].get<std::string>()).value());
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->patch_id, "lp-cmdline");
  EXPECT_EQ(p["patches"][0]["blob"], manifest->module_sha256);
}

TEST_F(RouterDeviceTest, UnchangedAnswerIs304UntilSomethingChanges) {
  Enrolled d = Enroll("lab");
  Response first = Checkin(d.credential);
  std::string etag;
  for (auto& [k, v] : first.headers)
    if (k == "ETag") etag = v;
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Checkin(d.credential, CheckinBody(), etag).status, 304);
  ImportAndRelease({}, "lab");
  Response changed = Checkin(d.credential, CheckinBody(), etag);
  EXPECT_EQ(changed.status, 200);
  now_ += 86400;  // half a lifetime later the answer is re-signed even if unchanged
  EXPECT_EQ(Checkin(d.credential, CheckinBody(), etag).status, 200);
}

TEST_F(RouterDeviceTest, UnchangedAnswerWithWaitAsksTheServerToHold) {
  Enrolled d = Enroll("lab");
  std::string etag;
  for (auto& [k, v] : Checkin(d.credential).headers)
    if (k == "ETag") etag = v;
  json body = CheckinBody();
  body["wait"] = 9999;
  Response r = Checkin(d.credential, body, etag);
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.hold_seconds, 300) << "wait is capped at 300 s";
  body["wait"] = 0;
  EXPECT_EQ(Checkin(d.credential, body, etag).hold_seconds, 0);
}

TEST_F(RouterDeviceTest, DeviceInAnotherGroupOrKernelGetsNothing) {
  Enrolled other_group = Enroll("prod");
  Enrolled other_kernel = Enroll("lab", TestIdentity(std::string(40, 'b')));
  ImportAndRelease({}, "lab");
  EXPECT_TRUE(VerifiedPayload(Checkin(other_group.credential))["patches"].empty());
  auto p = VerifiedPayload(Checkin(other_kernel.credential, CheckinBody(TestIdentity(std::string(40, 'b')))));
  EXPECT_TRUE(p["patches"].empty());
}

TEST_F(RouterDeviceTest, NewestReleasedVersionWinsAndRevertWithdraws) {
  Enrolled d = Enroll("lab");
  ImportAndRelease({}, "lab");
  BundleSpec v2;
  v2.version = 2;
  v2.module = "module v2";
  v2.module_name = "lp_cmdline_v2";
  ImportAndRelease(v2, "lab");
  json p = VerifiedPayload(Checkin(d.credential));
  ASSERT_EQ(p["patches"].size(), 1u);
  EXPECT_EQ(p["patches"][0]["blob"], Sha256Hex("module v2"));
  CallJson("POST", "/api/v1/admin/reverts", {{"patch_id", "lp-cmdline"}, {"group", "lab"}}, admin_token_);
  p = VerifiedPayload(Checkin(d.credential));
  EXPECT_TRUE(p["patches"].empty());
  ASSERT_EQ(p["actions"].size(), 1u);
  EXPECT_EQ(p["actions"][0], (json{{"type", "revert"}, {"patch_id", "lp-cmdline"}}));
}

// A cumulative replacement is loaded while the module it replaces is live:
// a new version under the module name of an earlier one is refused at import
// (409, nothing stored) and the earlier version stays what devices get.
TEST_F(RouterDeviceTest, NewVersionUnderAnEarlierVersionsModuleNameIsRefused) {
  Enrolled d = Enroll("lab");
  ImportAndRelease({}, "lab");  // lp-cmdline version 1, module lp_cmdline
  const std::size_t audit_before = portal_->services().store.ListAudit()->size();
  BundleSpec v2;
  v2.version = 2;
  v2.module = "module v2, same module name";
  Response r = Call("POST", "/api/v1/admin/patches", MakeBundle(pki_, v2), admin_token_);
  EXPECT_EQ(r.status, 409) << r.body;
  json error = json::parse(r.body, nullptr, false);
  EXPECT_EQ(error.value("error", ""), "conflict") << r.body;
  const std::string message = error.value("message", "");
  EXPECT_NE(message.find("lp-cmdline version 2"), std::string::npos) << message;
  EXPECT_NE(message.find("module name lp_cmdline is taken by version 1"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  // Nothing stored: no record, no blob, no audit entry, and it cannot be released.
  EXPECT_EQ(portal_->services().store.ListPatches()->size(), 1u);
  EXPECT_EQ(portal_->services().catalogue.Find("lp-cmdline", 2).size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/blobs/" + Sha256Hex(v2.module)).status, 404);
  EXPECT_EQ(portal_->services().store.ListAudit()->size(), audit_before);
  EXPECT_EQ(Call("POST", "/api/v1/admin/releases",
                 json{{"patch_id", "lp-cmdline"}, {"version", 2}, {"group", "lab"}}.dump(), admin_token_)
                .status,
            404);
  // The earlier version is still what the device gets, and its blob is served.
  json p = VerifiedPayload(Checkin(d.credential));
  ASSERT_EQ(p["patches"].size(), 1u);
  EXPECT_EQ(p["patches"][0]["blob"], Sha256Hex(BundleSpec{}.module));
  EXPECT_EQ(Call("GET", "/api/v1/blobs/" + Sha256Hex(BundleSpec{}.module)).status, 200);

  // Imported out of order, a lower version under a later one's name is refused the same way.
  BundleSpec v5;
  v5.version = 5;
  v5.module = "module v5";
  v5.module_name = "lp_cmdline_v5";
  ASSERT_EQ(Call("POST", "/api/v1/admin/patches", MakeBundle(pki_, v5), admin_token_).status, 200);
  BundleSpec v4 = v5;
  v4.version = 4;
  v4.module = "module v4";
  r = Call("POST", "/api/v1/admin/patches", MakeBundle(pki_, v4), admin_token_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("taken by version 5"), std::string::npos) << r.body;

  // Under a module name of its own, version 2 imports and, released, replaces version 1.
  v2.module_name = "lp_cmdline_v2";
  ImportAndRelease(v2, "lab");
  p = VerifiedPayload(Checkin(d.credential));
  ASSERT_EQ(p["patches"].size(), 1u);
  EXPECT_EQ(p["patches"][0]["blob"], Sha256Hex(v2.module));
  EXPECT_EQ(portal_->services().store.ListPatches()->size(), 3u);
}

// A device runs one kernel build, so only versions for the same build can be
// live together: the same module name for another build is no clash.
TEST_F(RouterDeviceTest, ModuleNameMayRepeatForAnotherBuild) {
  ImportAndRelease({}, "lab");
  BundleSpec other_build;
  other_build.version = 2;
  other_build.target = TestIdentity(std::string(40, 'b'));
  other_build.module = "module for another build";
  EXPECT_EQ(Call("POST", "/api/v1/admin/patches", MakeBundle(pki_, other_build), admin_token_).status, 200);
  EXPECT_EQ(portal_->services().store.ListPatches()->size(), 2u);
}

TEST_F(RouterDeviceTest, BlobsAreServedByHashWithoutCredential) {
  ImportAndRelease({}, "lab");
  BundleSpec spec;
  Response r = Call("GET", "/api/v1/blobs/" + Sha256Hex(spec.module));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(BodyOf(r), spec.module);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  EXPECT_EQ(Call("GET", "/api/v1/blobs/" + std::string(64, '0')).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/blobs/..%2F..%2Fportal.db").status, 404);
}

TEST_F(RouterDeviceTest, ReportsAreStoredForTheDevice) {
  Enrolled d = Enroll("lab");
  json report = {{"patch_id", "lp-cmdline"}, {"version", 1}, {"action", "apply"}, {"result", "applied"},
                 {"timings_ms", {{"load", 40}}}};
  EXPECT_EQ(Call("POST", "/api/v1/reports", report.dump(), "epd_forged").status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/reports", report.dump(), d.credential).status, 204);
  EXPECT_EQ(Call("POST", "/api/v1/reports", "{}", d.credential).status, 400);
  auto stored = portal_->services().store.ListReports(d.device_id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(json::parse((*stored)[0].body_json)["result"], "applied");
}

TEST_F(RouterDeviceTest, UnchangedCheckinOnlyMarksLastSeenUntilFlushed) {
  Enrolled d = Enroll("lab");
  Store& store = portal_->services().store;
  ASSERT_EQ(Checkin(d.credential).status, 200);  // same state as at enrollment: memory only
  EXPECT_EQ(store.ListDevices()->at(0).last_checkin, 0);
  ASSERT_TRUE(portal_->FlushLastSeen());
  EXPECT_EQ(store.ListDevices()->at(0).last_checkin, kTestNow);

  now_ += 60;
  json applied = json::array({{{"patch_id", "lp-cmdline"}, {"version", 1}, {"state", "failed"}}});
  ASSERT_EQ(Checkin(d.credential, CheckinBody(TestIdentity(), applied)).status, 200);  // changed: written now
  DeviceRecord stored = store.ListDevices()->at(0);
  EXPECT_EQ(stored.last_checkin, kTestNow + 60);
  EXPECT_NE(stored.applied_json.find("failed"), std::string::npos);
}

TEST_F(RouterDeviceTest, MalformedBodiesAre400) {
  Enrolled d = Enroll("lab");
  EXPECT_EQ(Call("POST", "/api/v1/checkin", "not json", d.credential).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/checkin", R"({"identity": 3})", d.credential).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/enroll", R"({"token": 1})").status, 400);
}

TEST_F(RouterDeviceTest, HealthMetricsAndUnknownRoutes) {
  EXPECT_EQ(Call("GET", "/healthz").body, "ok\n");
  Enroll("lab");
  Response m = Call("GET", "/metrics");
  EXPECT_NE(m.body.find("eportal_devices 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(eportal_requests_total{route="enroll",status="200"} 1)"), std::string::npos) << m.body;
  EXPECT_EQ(Call("GET", "/nope").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/checkin").status, 405);
}

}  // namespace
}  // namespace lp::eportal::testing
