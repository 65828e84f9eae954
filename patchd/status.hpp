// `patchctl status`: what a person or a script wants to know about this
// device, read from state.json and the kernel (works without patchd running).
//
// Exit codes (documented API for scripts):
//   0  up to date: every patch recorded as applied is in effect
//   1  error: status could not be read
//   2  nothing applied
//   3  pending: a job is in progress, or a recorded patch is not in effect
//      (e.g. after a reboot, before patchd --apply-cached)
//   4  unsupported kernel: no livepatch support
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "patchd/config.hpp"
#include "patchd/device_state.hpp"
#include "patchd/livepatch_kernel.hpp"

namespace lp::patchd {

enum StatusExit { kUpToDate = 0, kStatusError = 1, kNothingApplied = 2, kPending = 3, kUnsupported = 4 };

struct LoadedPatch {
  PatchState kernel;
  std::optional<PatchRecord> record;  // what patchd knows about it, if anything
};

struct DeviceStatus {
  std::string release, build_id, arch, identity_error;
  bool livepatch_supported = false;
  std::string unsupported_reason;
  std::optional<std::string> kill_switch;
  std::vector<LoadedPatch> loaded;
  std::vector<PatchRecord> records;  // every record for this build id
  std::vector<std::string> cves_fixed;
  std::string device_id, last_error, job_state;
  std::int64_t last_checkin = 0;
  StatusExit exit = kUpToDate;
};

DeviceStatus CollectStatus(const Config& config, LivepatchKernel& kernel);
std::string StatusJson(const DeviceStatus& s);
std::string StatusText(const DeviceStatus& s);
std::string ListText(const DeviceStatus& s);

}  // namespace lp::patchd
