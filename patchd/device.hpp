// A Device bundles what patchd and patchctl act on: config, root key, kernel
// seam, portal client, clock and the Updater. The CLIs build one with
// OpenDevice; tests and the fleet simulator pass their own fakes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "patchd/updater.hpp"

namespace lp::patchd {

// Builds the configured kernel: "sysfs" or "fake:<dir>".
Expected<std::unique_ptr<LivepatchKernel>> MakeKernel(const Config& config);

// The running kernel's identity, or the fake_* config values with a fake kernel.
Expected<KernelIdentity> ReadDeviceIdentity(const Config& config);

// Injected parts; null members are built from the config.
struct DeviceOverrides {
  LivepatchKernel* kernel = nullptr;
  PortalApi* portal = nullptr;
  Clock* clock = nullptr;
  std::optional<KernelIdentity> identity;
  KernelLogReader kernel_log;
};

class Device {
 public:
  // Needs config.root_key. Does not talk to the network.
  static Expected<std::unique_ptr<Device>> Open(const Config& config, DeviceOverrides overrides = {});

  // Finishes a job a crash interrupted (no-op if none).
  Expected<Job> Recover() { return updater_->Recover(); }
  // One check-in cycle: recover, poll, apply or revert what the answer says.
  Expected<Job> CheckInOnce();
  // Boot: re-apply, from the cache, the patches recorded applied for this
  // kernel's build id (newest last). Never touches the network.
  Expected<std::vector<Job>> ApplyCached();
  // Offline apply of a bundle file (verified with the root key).
  Expected<Job> ApplyBundle(const std::filesystem::path& bundle);
  // Reverts one applied patch stream, or all when patch_id is empty.
  Expected<std::vector<Job>> Revert(const std::string& patch_id);

  Updater& updater() { return *updater_; }
  LivepatchKernel& kernel() { return *kernel_; }
  Clock& clock() { return *clock_; }
  const Config& config() const { return config_; }
  const KernelIdentity& identity() const { return identity_; }

 private:
  Device() = default;
  Config config_;
  std::unique_ptr<Ed25519Key> root_key_;
  std::unique_ptr<LivepatchKernel> owned_kernel_;
  std::unique_ptr<PortalApi> owned_portal_;
  std::unique_ptr<Clock> owned_clock_;
  LivepatchKernel* kernel_ = nullptr;
  PortalApi* portal_ = nullptr;
  Clock* clock_ = nullptr;
  KernelIdentity identity_;
  std::unique_ptr<Updater> updater_;
};

}  // namespace lp::patchd
