#include "patchd/checkin_answer.hpp"

#include <nlohmann/json.hpp>

#include "common/keys.hpp"

namespace lp::patchd {
using nlohmann::json;
namespace {

Error Refused(const std::string& why) {
  return MakeError(ErrorCode::kVerification, "check-in answer refused: " + why);
}

Expected<std::string> B64Field(const json& j, const char* name) {
  if (!j.contains(name) || !j.at(name).is_string()) return Refused(std::string("missing ") + name);
  auto bytes = Base64Decode(j.at(name).get<std::string>());
  if (!bytes) return Refused(std::string(name) + " is not base64");
  return bytes;
}

Expected<std::time_t> TimeField(const json& j, const char* name) {
  if (!j.contains(name) || !j.at(name).is_string()) return Refused(std::string("missing ") + name);
  auto t = ParseTime(j.at(name).get<std::string>());
  if (!t) return Refused(std::string(name) + ": " + t.error().message);
  return t;
}

Status ParsePayload(const json& p, CheckinAnswer& out) {
  out.device_id = p.at("device_id").get<std::string>();
  auto issued = TimeField(p, "issued");
  if (!issued) return issued.error();
  auto expires = TimeField(p, "expires");
  if (!expires) return expires.error();
  out.issued = *issued;
  out.expires = *expires;
  out.poll_interval_s = p.value("poll_interval", std::int64_t{0});
  for (const auto& item : p.value("patches", json::array())) {
    OfferedPatch offered;
    auto manifest = B64Field(item, "manifest");
    if (!manifest) return manifest.error();
    auto sig = B64Field(item, "manifest_sig");
    if (!sig) return sig.error();
    offered.manifest_json = std::move(*manifest);
    offered.manifest_sig = std::move(*sig);
    offered.blob = item.at("blob").get<std::string>();
    out.patches.push_back(std::move(offered));
  }
  for (const auto& a : p.value("actions", json::array()))
    out.actions.push_back({a.at("type").get<std::string>(), a.value("patch_id", "")});
  return Ok();
}

Status CheckFreshness(const CheckinAnswer& a, const Freshness& f) {
  if (a.device_id != f.device_id) return Refused("it is for device " + a.device_id + ", not " + f.device_id);
  if (a.expires <= f.now) return Refused("expired at " + FormatTime(a.expires));
  if (a.issued < f.last_issued)
    return Refused("replayed: issued " + FormatTime(a.issued) + " is older than the accepted " +
                   FormatTime(f.last_issued));
  return Ok();
}

}  // namespace

Expected<CheckinAnswer> VerifyCheckinAnswer(std::string_view envelope, const Ed25519Key& root,
                                            const Freshness& freshness) {
  try {
    json env = json::parse(envelope);
    CheckinAnswer answer;
    auto keys_json = B64Field(env, "keys_json");
    if (!keys_json) return keys_json.error();
    auto keys_sig = B64Field(env, "keys_sig");
    if (!keys_sig) return keys_sig.error();
    auto keys = VerifyKeysDocument(*keys_json, *keys_sig, root, freshness.now);
    if (!keys) return Refused("keys document: " + keys.error().message);
    auto payload = B64Field(env, "payload");
    if (!payload) return payload.error();
    auto sig = B64Field(env, "signature");
    if (!sig) return sig.error();
    TrustStore trust(std::move(*keys));
    if (auto st = trust.VerifyPortalSignature(*payload, *sig, env.value("key_id", "")); !st)
      return Refused(st.error().message);
    LP_TRY(ParsePayload(json::parse(*payload), answer));
    LP_TRY(CheckFreshness(answer, freshness));
    answer.keys_json = std::move(*keys_json);
    answer.keys_sig = std::move(*keys_sig);
    return answer;
  } catch (const json::exception& e) {
    return Refused(std::string("malformed JSON: ") + e.what());
  }
}

}  // namespace lp::patchd
