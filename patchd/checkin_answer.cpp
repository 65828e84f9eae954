#include "patchd/checkin_answer.hpp"

#include <algorithm>

#include "common/json_fields.hpp"
#include "common/keys.hpp"
#include "common/manifest.hpp"

namespace lp::patchd {
namespace {

using json_fields::Json;

constexpr std::size_t kMaxDeviceIdLength = 128;
constexpr std::size_t kMaxActionTypeLength = 32;
constexpr std::size_t kMaxBlobLength = 128;

Error Refused(const std::string& why) {
  return MakeError(ErrorCode::kVerification, "check-in answer refused: " + why);
}

// Base64 field of the envelope or of an offer; its size is bounded by the
// envelope's.
Expected<std::string> B64Field(const Json& j, const char* name, const std::string& path) {
  auto text = json_fields::GetString(j, name, path, kMaxCheckinAnswerBytes);
  if (!text) return Refused(text.error().message);
  auto bytes = Base64Decode(*text);
  if (!bytes) return Refused(json_fields::Join(path, name) + " is not base64");
  return bytes;
}

Expected<std::time_t> TimeField(const Json& j, const char* name) {
  auto text = json_fields::GetString(j, name, "", kMaxTimeLength);
  if (!text) return Refused(text.error().message);
  auto t = ParseTime(*text);
  if (!t) return Refused(std::string(name) + ": " + t.error().message);
  return t;
}

Expected<OfferedPatch> ParseOffer(const Json& item, const std::string& path) {
  if (!item.is_object()) return Refused(path + " is not an object");
  auto manifest = B64Field(item, "manifest", path);
  if (!manifest) return manifest.error();
  auto sig = B64Field(item, "manifest_sig", path);
  if (!sig) return sig.error();
  auto blob = json_fields::GetString(item, "blob", path, kMaxBlobLength);
  if (!blob) return Refused(blob.error().message);
  return OfferedPatch{std::move(*manifest), std::move(*sig), std::move(*blob)};
}

Expected<PortalAction> ParseAction(const Json& item, const std::string& path) {
  if (!item.is_object()) return Refused(path + " is not an object");
  auto type = json_fields::GetString(item, "type", path, kMaxActionTypeLength);
  if (!type) return Refused(type.error().message);
  PortalAction action{*type, ""};
  if (item.contains("patch_id")) {
    auto id = json_fields::GetString(item, "patch_id", path, kMaxPatchIdLength);
    if (!id) return Refused(id.error().message);
    action.patch_id = *id;
  }
  return action;
}

// An optional array of at most max items, each parsed by parse_item.
template <typename T>
Status ParseList(const Json& p, const char* key, std::size_t max,
                 Expected<T> (*parse_item)(const Json&, const std::string&), std::vector<T>& out) {
  if (!p.contains(key)) return Ok();
  auto items = json_fields::GetArray(p, key, "", max);
  if (!items) return Refused(items.error().message);
  for (std::size_t i = 0; i < (*items)->size(); ++i) {
    auto item = parse_item((**items)[i], std::string(key) + "[" + std::to_string(i) + "]");
    if (!item) return item.error();
    out.push_back(std::move(*item));
  }
  return Ok();
}

// poll_interval is optional (0: keep the device's own); a given value is
// clamped into [kMinPollIntervalS, kMaxPollIntervalS].
Expected<std::int64_t> PollInterval(const Json& p) {
  if (!p.contains("poll_interval")) return std::int64_t{0};
  auto v = json_fields::GetUint(p, "poll_interval", "");
  if (!v) return Refused(v.error().message);
  if (*v == 0) return std::int64_t{0};
  return static_cast<std::int64_t>(
      std::clamp<std::uint64_t>(*v, kMinPollIntervalS, static_cast<std::uint64_t>(kMaxPollIntervalS)));
}

Status ParsePayload(std::string_view bytes, CheckinAnswer& out) {
  auto parsed = json_fields::ParseObject(bytes, kMaxCheckinAnswerBytes, "payload");
  if (!parsed) return Refused(parsed.error().message);
  const Json& p = *parsed;
  auto device_id = json_fields::GetString(p, "device_id", "", kMaxDeviceIdLength);
  if (!device_id) return Refused(device_id.error().message);
  out.device_id = *device_id;
  auto issued = TimeField(p, "issued");
  if (!issued) return issued.error();
  auto expires = TimeField(p, "expires");
  if (!expires) return expires.error();
  out.issued = *issued;
  out.expires = *expires;
  auto interval = PollInterval(p);
  if (!interval) return interval.error();
  out.poll_interval_s = *interval;
  LP_TRY(ParseList(p, "patches", kMaxOfferedPatches, ParseOffer, out.patches));
  return ParseList(p, "actions", kMaxActions, ParseAction, out.actions);
}

Status CheckFreshness(const CheckinAnswer& a, const Freshness& f) {
  if (a.device_id != f.device_id) return Refused("it is for device " + a.device_id + ", not " + f.device_id);
  if (a.expires <= f.now) return Refused("expired at " + FormatTime(a.expires));
  const std::time_t latest_credible = f.now + kMaxClockSkewS;
  if (a.issued > latest_credible)
    return Refused("issued " + FormatTime(a.issued) + " is more than " + std::to_string(kMaxClockSkewS) +
                   " s ahead of this device's clock (" + FormatTime(f.now) + "); check the portal's and the device's clocks");
  // A remembered `issued` past the skew bound cannot be trusted (accepted
  // before the bound existed, or the clock was set back): honouring it
  // would refuse every genuine answer from now on.
  const std::time_t last = f.last_issued > latest_credible ? 0 : f.last_issued;
  if (a.issued < last)
    return Refused("replayed: issued " + FormatTime(a.issued) + " is older than the accepted " + FormatTime(last));
  return Ok();
}

}  // namespace

Expected<CheckinAnswer> VerifyCheckinAnswer(std::string_view envelope, const Ed25519Key& root,
                                            const Freshness& freshness) {
  auto env = json_fields::ParseObject(envelope, kMaxCheckinAnswerBytes, "envelope");
  if (!env) return Refused(env.error().message);
  CheckinAnswer answer;
  auto keys_json = B64Field(*env, "keys_json", "");
  if (!keys_json) return keys_json.error();
  auto keys_sig = B64Field(*env, "keys_sig", "");
  if (!keys_sig) return keys_sig.error();
  auto keys = VerifyKeysDocument(*keys_json, *keys_sig, root, freshness.now);
  if (!keys) return Refused("keys document: " + keys.error().message);
  if (auto st = CheckKeysDocumentVersion(keys->version, freshness.keys_version); !st)
    return Refused(st.error().message);
  auto payload = B64Field(*env, "payload", "");
  if (!payload) return payload.error();
  auto sig = B64Field(*env, "signature", "");
  if (!sig) return sig.error();
  auto key_id = json_fields::GetString(*env, "key_id", "", kKeyIdLength);
  if (!key_id) return Refused(key_id.error().message);
  answer.keys_version = keys->version;
  TrustStore trust(std::move(*keys));
  if (auto st = trust.VerifyPortalSignature(*payload, *sig, *key_id); !st) return Refused(st.error().message);
  LP_TRY(ParsePayload(*payload, answer));
  LP_TRY(CheckFreshness(answer, freshness));
  answer.keys_json = std::move(*keys_json);
  answer.keys_sig = std::move(*keys_sig);
  return answer;
}

}  // namespace lp::patchd
