// What patchd remembers between runs: <state_dir>/state.json (mode 0600: it
// holds the device credential). Written only through WriteFileAtomic, so it
// is always a whole old or a whole new version.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace lp::patchd {

// One patch version this device has dealt with. `state` is the wire value of
// docs/api.md (applied|failed|reverted|refused) plus "stalled" and
// "replaced" (superseded by an atomic-replace patch), which are reported as
// failed and reverted respectively.
struct PatchRecord {
  std::string patch_id;
  std::uint64_t version = 0;
  std::string build_id;
  std::string sha256;       // module blob (cache key)
  std::string module_name;
  bool replace = true;
  std::string state;
  std::vector<std::string> cves;
  std::string description;
  std::int64_t updated = 0;  // wall time of the last change
};

struct DeviceState {
  std::string device_id;
  std::string credential;         // bearer secret from enrollment
  std::string group;
  std::int64_t last_issued = 0;   // `issued` of the newest accepted check-in answer
  // Highest keys document version accepted (check-in, cache, bundle): an
  // older one is refused from then on (TUF's rule against rollback).
  std::uint64_t keys_version = 0;
  std::int64_t last_checkin = 0;  // wall time of the last successful check-in
  std::string etag;
  std::int64_t poll_interval_s = 0;  // from the portal; 0 = use config
  std::string last_error;
  std::vector<PatchRecord> patches;
  // Highest version ever applied per "patch_id@build_id": refuses rollback
  // even after the record itself was reverted.
  std::map<std::string, std::uint64_t> highest_version;
  std::vector<std::string> pending_reports;  // JSON report bodies not yet delivered

  PatchRecord* Find(const std::string& patch_id, std::uint64_t version);
  // Upserts by (patch_id, version).
  void Record(const PatchRecord& record);
  // Records currently applied (state "applied") for a build id.
  std::vector<PatchRecord> Applied(const std::string& build_id) const;
};

std::string StreamKey(const std::string& patch_id, const std::string& build_id);

std::filesystem::path StateFile(const std::filesystem::path& state_dir);

// A missing file gives an empty (unenrolled) state; a corrupt one is an error.
Expected<DeviceState> LoadDeviceState(const std::filesystem::path& state_dir);
Status SaveDeviceState(const std::filesystem::path& state_dir, const DeviceState& state);

}  // namespace lp::patchd
