#include "tests/eportal/portal_fixture.hpp"

#include "common/file_util.hpp"
#include "common/manifest.hpp"
#include "eportal/log.hpp"

namespace lp::eportal::testing {

TestPki TestPki::Make() {
  TestPki pki{Ed25519Key::Generate().value(), Ed25519Key::Generate().value(), Ed25519Key::Generate().value(),
              "", ""};
  KeysDocument doc;
  doc.expires = FormatTime(kTestNow + 365 * 86400);
  doc.keys = {{pki.patch.KeyId(), KeyRole::kPatch, pki.patch.PublicPem()},
              {pki.portal.KeyId(), KeyRole::kPortal, pki.portal.PublicPem()}};
  pki.keys_json = SerializeKeysDocument(doc);
  pki.keys_sig = pki.root.Sign(pki.keys_json).value();
  return pki;
}

void TestPki::WriteFiles(const std::filesystem::path& dir) const {
  ASSERT_TRUE(MakeDirs(dir));
  ASSERT_TRUE(WriteFileAtomic(dir / "root.pub", root.PublicPem()));
  ASSERT_TRUE(WriteFileAtomic(dir / "keys.json", keys_json));
  ASSERT_TRUE(WriteFileAtomic(dir / "keys.json.sig", keys_sig));
  ASSERT_TRUE(WriteFileAtomic(dir / "portal.key", portal.PrivatePem().value(), 0600));
}

std::string MakeBundle(const TestPki& pki, const BundleSpec& spec) {
  Manifest m;
  m.patch_id = spec.patch_id;
  m.version = spec.version;
  m.target = spec.target;
  m.module_name = spec.module_name;
  m.module_file = spec.module_name + ".ko";
  m.module_sha256 = Sha256Hex(spec.module);
  m.module_size = spec.module.size();
  m.functions = {{"vmlinux", "cmdline_proc_show", 0}};
  m.cves = spec.cves;
  m.description = "test patch";
  m.created = FormatTime(kTestNow);
  m.builder = "eportal_test";
  m.signing_key_id = pki.patch.KeyId();
  BundleParts parts;
  parts.manifest_json = SerializeManifest(m);
  parts.manifest_sig = pki.patch.Sign(parts.manifest_json).value();
  parts.keys_json = pki.keys_json;
  parts.keys_sig = pki.keys_sig;
  parts.module_bytes = spec.module;
  return PackBundle(parts).value();
}

void PortalFixture::SetUp() {
  SetLogEnabled(false);
  std::filesystem::path keys = tmp_ / "keys";
  pki_.WriteFiles(keys);
  data_dir_ = tmp_ / "data";
  InitOptions init{data_dir_, keys / "root.pub", keys / "keys.json", keys / "keys.json.sig", keys / "portal.key"};
  auto token = InitDataDir(init, now_);
  ASSERT_TRUE(token) << token.error().message;
  admin_token_ = *token;
  auto portal = Portal::Open(data_dir_);
  ASSERT_TRUE(portal) << portal.error().message;
  portal_ = std::move(*portal);
  portal_->services().now = [this] { return now_; };
}

Response PortalFixture::Call(const std::string& method, const std::string& target, const std::string& body,
                             const std::string& token, std::map<std::string, std::string> headers) {
  Request req{method, target, std::move(headers), body};
  if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
  return Handle(req, portal_->services());
}

nlohmann::json PortalFixture::CallJson(const std::string& method, const std::string& target,
                                       const nlohmann::json& body, const std::string& token, int expect_status) {
  Response r = Call(method, target, body.is_null() ? "" : body.dump(), token);
  EXPECT_EQ(r.status, expect_status) << method << " " << target << ": " << r.body;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

std::string PortalFixture::CreateEnrollToken(const std::string& group) {
  return CallJson("POST", "/api/v1/admin/tokens", {{"group", group}}, admin_token_).value("token", "");
}

PortalFixture::Enrolled PortalFixture::Enroll(const std::string& group, const KernelIdentity& identity) {
  nlohmann::json body = {
      {"token", CreateEnrollToken(group)},
      {"hostname", "dev-" + group},
      {"identity", {{"release", identity.release}, {"build_id", identity.build_id}, {"arch", identity.arch}}}};
  auto j = CallJson("POST", "/api/v1/enroll", body, "");
  return {j.value("device_id", ""), j.value("credential", "")};
}

std::string PortalFixture::AddUser(const std::string& name, const std::string& role,
                                   std::vector<std::string> groups) {
  return CallJson("POST", "/api/v1/admin/users", {{"name", name}, {"role", role}, {"groups", groups}},
                  admin_token_)
      .value("token", "");
}

void PortalFixture::ImportAndRelease(const BundleSpec& spec, const std::string& group) {
  Response r = Call("POST", "/api/v1/admin/patches", MakeBundle(pki_, spec), admin_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  CallJson("POST", "/api/v1/admin/releases", {{"patch_id", spec.patch_id}, {"version", spec.version}, {"group", group}},
           admin_token_);
}

}  // namespace lp::eportal::testing
