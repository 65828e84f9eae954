// Verifying a check-in answer (docs/api.md): keys document against the
// device's root key (and never older than the newest one accepted), the
// portal-role key it names, the payload signature, then freshness (device id,
// expiry, clock skew, replay). Nothing signed is parsed before its signature
// verifies; the unsigned envelope is size-bounded and parsed without
// exceptions. A compromised portal or a replaying middlebox gets a clear
// refusal, never a patch.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.hpp"
#include "common/error.hpp"

namespace lp::patchd {

// Bounds on an answer (docs/api.md "Limits"). Past the first three the
// answer is refused; poll_interval is clamped into its range.
inline constexpr std::size_t kMaxCheckinAnswerBytes = 8u << 20;  // the whole envelope
inline constexpr std::size_t kMaxOfferedPatches = 256;
inline constexpr std::size_t kMaxActions = 256;
inline constexpr std::int64_t kMinPollIntervalS = 1;
inline constexpr std::int64_t kMaxPollIntervalS = 24 * 3600;
// How far `issued` may lie ahead of the device's clock. Past it the answer is
// refused; a remembered `issued` past it (accepted before this bound existed,
// or the clock was set back) is not honoured, so the device cannot be frozen.
inline constexpr std::int64_t kMaxClockSkewS = 3600;

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
  std::int64_t poll_interval_s = 0;  // 0: not given; else in [kMinPollIntervalS, kMaxPollIntervalS]
  std::vector<OfferedPatch> patches;
  std::vector<PortalAction> actions;
  std::string keys_json;  // verified against root; stored with cached patches
  std::string keys_sig;
  std::uint64_t keys_version = 0;
};

struct Freshness {
  std::string device_id;     // ours
  std::time_t last_issued;   // newest `issued` accepted before
  std::time_t now;
  std::uint64_t keys_version = 0;  // newest keys document version accepted before
};

Expected<CheckinAnswer> VerifyCheckinAnswer(std::string_view envelope, const Ed25519Key& root,
                                            const Freshness& freshness);

}  // namespace lp::patchd
