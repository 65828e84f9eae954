#include "eportal/checkin_answer.hpp"

#include <nlohmann/json.hpp>

#include "common/keys.hpp"
#include "eportal/secrets.hpp"

namespace lp::eportal {

std::string AnswerETag(const std::string& device_id, const DevicePlan& plan, const PortalSettings& settings,
                       std::time_t now) {
  const std::time_t half_life = std::max(1, settings.answer_lifetime / 2);
  std::string key = device_id + "\n" + std::to_string(settings.poll_interval) + "\n" +
                    std::to_string(now / half_life) + "\n";
  for (const PatchPtr& p : plan.patches)
    key += "patch " + p->record.patch_id + " " + std::to_string(p->record.version) + " " +
           p->record.blob_sha256 + " " + Sha256Of(p->record.manifest_json) + "\n";
  for (const std::string& id : plan.reverts) key += "revert " + id + "\n";
  return "\"" + Sha256Of(key).substr(0, 32) + "\"";
}

Expected<std::string> BuildSignedAnswer(const std::string& device_id, const DevicePlan& plan,
                                        const Services& s, std::time_t now) {
  nlohmann::json patches = nlohmann::json::array();
  for (const PatchPtr& p : plan.patches)
    patches.push_back(
        {{"manifest", p->manifest_b64}, {"manifest_sig", p->signature_b64}, {"blob", p->record.blob_sha256}});
  nlohmann::json actions = nlohmann::json::array();
  for (const std::string& id : plan.reverts) actions.push_back({{"type", "revert"}, {"patch_id", id}});
  nlohmann::json payload = {{"device_id", device_id},
                            {"issued", FormatTime(now)},
                            {"expires", FormatTime(now + s.settings.answer_lifetime)},
                            {"poll_interval", s.settings.poll_interval},
                            {"patches", std::move(patches)},
                            {"actions", std::move(actions)}};
  std::string payload_bytes = payload.dump();
  auto signature = s.trust.portal.Sign(payload_bytes);
  if (!signature) return signature.error().WithContext("signing check-in answer");
  nlohmann::json envelope = {{"keys_json", s.trust.keys_json_b64},
                             {"keys_sig", s.trust.keys_sig_b64},
                             {"payload", Base64Encode(payload_bytes)},
                             {"signature", Base64Encode(*signature)},
                             {"key_id", s.trust.portal.KeyId()}};
  return envelope.dump();
}

}  // namespace lp::eportal
