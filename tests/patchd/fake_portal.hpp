// A hand-written PortalApi for unit tests: it signs check-in answers with a
// real portal key (so the device's verification runs for real), serves blobs
// from a map, records reports and can be told to fail.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/keys.hpp"
#include "patchd/portal_api.hpp"

namespace lp::patchd::testing {

struct Offer {
  std::string manifest_json;
  std::string manifest_sig;
  std::string blob;
};

class FakePortal final : public PortalApi {
 public:
  FakePortal(const Ed25519Key& portal_key, std::string keys_json, std::string keys_sig)
      : portal_key_(&portal_key), keys_json_(std::move(keys_json)), keys_sig_(std::move(keys_sig)) {}

  // From now on answers carry this keys document and are signed with this
  // portal key (a key rotation, or an attacker holding an old pair).
  void UseKeys(const Ed25519Key& portal_key, std::string keys_json, std::string keys_sig) {
    portal_key_ = &portal_key;
    keys_json_ = std::move(keys_json);
    keys_sig_ = std::move(keys_sig);
  }

  // What the next answers say.
  std::string device_id = "d-1";
  std::time_t issued = 0;
  std::time_t expires = 0;
  std::uint64_t poll_interval = 60;
  std::vector<Offer> offers;
  std::vector<std::pair<std::string, std::string>> actions;  // {type, patch_id}
  std::map<std::string, std::string> blobs;
  bool fail_network = false;
  std::string replay_envelope;  // when set, sent instead of a fresh answer

  // What the device did.
  int enrolls = 0, checkins = 0, blob_fetches = 0;
  std::vector<nlohmann::json> reports;
  std::vector<CheckinRequest> requests;

  std::string Payload() const {
    nlohmann::json patches = nlohmann::json::array();
    for (const auto& o : offers)
      patches.push_back({{"manifest", Base64Encode(o.manifest_json)},
                         {"manifest_sig", Base64Encode(o.manifest_sig)},
                         {"blob", o.blob}});
    nlohmann::json acts = nlohmann::json::array();
    for (const auto& [type, id] : actions) acts.push_back({{"type", type}, {"patch_id", id}});
    return nlohmann::json{{"device_id", device_id}, {"issued", FormatTime(issued)},
                          {"expires", FormatTime(expires)}, {"poll_interval", poll_interval},
                          {"patches", patches}, {"actions", acts}}
        .dump();
  }

  // The signed envelope; signer/key_id may be swapped to test refusals.
  std::string Envelope(const std::string& payload, const Ed25519Key& signer) const {
    return nlohmann::json{{"keys_json", Base64Encode(keys_json_)}, {"keys_sig", Base64Encode(keys_sig_)},
                          {"payload", Base64Encode(payload)}, {"signature", Base64Encode(*signer.Sign(payload))},
                          {"key_id", portal_key_->KeyId()}}
        .dump();
  }
  std::string Envelope() const { return Envelope(Payload(), *portal_key_); }

  Expected<EnrollResult> Enroll(const std::string& token, const std::string&, const KernelIdentity&) override {
    ++enrolls;
    if (fail_network) return MakeError(ErrorCode::kNetwork, "portal down");
    if (token != "tok") return MakeError(ErrorCode::kPermission, "enroll: HTTP 401");
    return EnrollResult{device_id, "secret", "lab"};
  }

  Expected<CheckinResponse> CheckIn(const std::string& credential, const CheckinRequest& request) override {
    ++checkins;
    requests.push_back(request);
    if (fail_network) return MakeError(ErrorCode::kNetwork, "portal down");
    if (credential != "secret") return MakeError(ErrorCode::kPermission, "check-in: HTTP 401");
    return CheckinResponse{false, replay_envelope.empty() ? Envelope() : replay_envelope, "\"e1\""};
  }

  Expected<std::string> FetchBlob(const std::string& sha256, std::size_t max_bytes) override {
    ++blob_fetches;
    if (fail_network) return MakeError(ErrorCode::kNetwork, "portal down");
    auto it = blobs.find(sha256);
    if (it == blobs.end()) return MakeError(ErrorCode::kNotFound, "blob: HTTP 404");
    if (it->second.size() > max_bytes) return MakeError(ErrorCode::kNetwork, "too large");
    return it->second;
  }

  Status Report(const std::string&, const std::string& body) override {
    if (fail_network) return MakeError(ErrorCode::kNetwork, "portal down");
    reports.push_back(nlohmann::json::parse(body));
    return Ok();
  }

 private:
  const Ed25519Key* portal_key_;
  std::string keys_json_, keys_sig_;
};

}  // namespace lp::patchd::testing
