// Verifying a check-in answer (docs/api.md): keys document against the
// device's root key, the portal-role key it names, the payload signature, then
// freshness (device id, expiry, replay). A compromised portal or a replaying
// middlebox gets a clear refusal, never a patch.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.hpp"
#include "common/error.hpp"

namespace lp::patchd {

struct OfferedPatch {
  std::string manifest_json;
  std::string manifest_sig;
  std::string blob;  // sha256 of the module (also checked against the manifest)
};

struct PortalAction {
  std::string type;  // "revert"
  std::string patch_id;
};

struct CheckinAnswer {
  std::string device_id;
  std::time_t issued = 0;
  std::time_t expires = 0;
  std::int64_t poll_interval_s = 0;
  std::vector<OfferedPatch> patches;
  std::vector<PortalAction> actions;
  std::string keys_json;  // verified against root; stored with cached patches
  std::string keys_sig;
};

struct Freshness {
  std::string device_id;     // ours
  std::time_t last_issued;   // newest `issued` accepted before
  std::time_t now;
};

Expected<CheckinAnswer> VerifyCheckinAnswer(std::string_view envelope, const Ed25519Key& root,
                                            const Freshness& freshness);

}  // namespace lp::patchd
