// Plain records the portal persists. Times are Unix seconds (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/identity.hpp"

namespace lp::eportal {

// Ordered: a higher role can do everything a lower one can.
enum class Role { kViewer = 0, kReleaser = 1, kAdmin = 2 };

const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct DeviceRecord {
  std::string id;                 // "d-<hex>"
  std::string group;
  std::string credential_sha256;  // the bearer credential itself is never stored
  std::string hostname;
  KernelIdentity identity;
  std::int64_t enrolled = 0;
  std::int64_t last_checkin = 0;
  std::string applied_json = "[]";  // the "applied" array of the last check-in
  std::string last_error;
};

struct EnrollTokenRecord {
  std::string sha256;
  std::string group;
  std::int64_t expires = 0;
  std::int64_t created = 0;
};

struct UserRecord {
  std::string name;
  Role role = Role::kViewer;
  std::vector<std::string> groups;  // empty: every group
  std::string token_sha256;
  std::int64_t created = 0;

  bool CanSeeGroup(std::string_view group) const;
};

struct PatchRecord {
  std::string patch_id;
  std::uint64_t version = 0;
  KernelIdentity target;
  std::string manifest_json;  // exact signed bytes
  std::string manifest_sig;   // raw Ed25519 signature
  std::string blob_sha256;
  std::int64_t imported = 0;
};

// Releases and reverts share one sequence so replaying them in order gives
// the current plan even when both happen within the same second.
struct ReleaseEvent {
  enum class Kind { kRelease, kRevert };
  std::int64_t seq = 0;  // assigned by the store
  Kind kind = Kind::kRelease;
  std::string patch_id;
  std::uint64_t version = 0;  // releases only
  std::string group;
  std::int64_t time = 0;
  std::string actor;
};

struct ReportRecord {
  std::string device_id;
  std::int64_t time = 0;
  std::string body_json;
};

struct AuditEntry {
  std::int64_t seq = 0;
  std::int64_t time = 0;
  std::string actor;
  std::string action;
  std::string detail_json;
  std::string prev_hash;
  std::string hash;
};

}  // namespace lp::eportal
