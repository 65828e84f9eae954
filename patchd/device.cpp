#include "patchd/device.hpp"

#include <algorithm>

#include "common/bundle.hpp"
#include "patchd/curl_portal.hpp"
#include "patchd/fake_livepatch_kernel.hpp"
#include "patchd/sysfs_livepatch_kernel.hpp"

namespace lp::patchd {

Expected<std::unique_ptr<LivepatchKernel>> MakeKernel(const Config& config) {
  if (config.kernel == "sysfs") return std::unique_ptr<LivepatchKernel>(new SysfsLivepatchKernel(config.paths));
  if (config.kernel.rfind("fake:", 0) == 0 && config.kernel.size() > 5)
    return std::unique_ptr<LivepatchKernel>(new FakeLivepatchKernel(config.kernel.substr(5)));
  return MakeError(ErrorCode::kInvalidArgument, "kernel: expected sysfs or fake:<dir>, got " + config.kernel);
}

Expected<KernelIdentity> ReadDeviceIdentity(const Config& config) {
  if (config.kernel != "sysfs" && !config.fake_build_id.empty())
    return KernelIdentity{config.fake_release, config.fake_build_id, config.fake_arch};
  return ReadRunningIdentity(config.paths.sysfs_root);
}

Expected<std::unique_ptr<Device>> Device::Open(const Config& config, DeviceOverrides o) {
  std::unique_ptr<Device> d(new Device());
  d->config_ = config;
  if (config.root_key.empty()) return MakeError(ErrorCode::kInvalidArgument, "config has no root_key");
  auto root = Ed25519Key::LoadPublic(config.root_key);
  if (!root) return root.error().WithContext("root_key " + config.root_key.string());
  d->root_key_ = std::make_unique<Ed25519Key>(std::move(*root));
  if (!o.kernel) {
    auto kernel = MakeKernel(config);
    if (!kernel) return kernel.error();
    d->owned_kernel_ = std::move(*kernel);
    o.kernel = d->owned_kernel_.get();
  }
  if (!o.portal && !config.portal_url.empty()) {
    d->owned_portal_ = MakeCurlPortal(config);
    o.portal = d->owned_portal_.get();
  }
  if (!o.clock) {
    d->owned_clock_ = std::make_unique<SystemClock>();
    o.clock = d->owned_clock_.get();
  }
  // The host's kernel log only means something when the real kernel is in use.
  if (!o.kernel_log && config.kernel == "sysfs") o.kernel_log = [](const std::string& m) { return ReadKernelLog(m); };
  if (!o.identity) {
    auto id = ReadDeviceIdentity(config);
    if (!id) return id.error().WithContext("reading the running kernel's identity");
    o.identity = *id;
  }
  d->kernel_ = o.kernel;
  d->portal_ = o.portal;
  d->clock_ = o.clock;
  d->identity_ = *o.identity;
  d->updater_ = std::make_unique<Updater>(
      UpdaterDeps{d->config_, *d->kernel_, *d->clock_, d->portal_, *d->root_key_, d->identity_, o.kernel_log});
  return d;
}

Expected<Job> Device::CheckInOnce() {
  if (auto r = Recover(); !r) return r.error();
  Job job;
  job.state = StepState::kPoll;
  job.source = "portal";
  return updater_->Run(job);
}

Expected<std::vector<Job>> Device::ApplyCached() {
  if (auto r = Recover(); !r) return r.error();
  std::vector<PatchRecord> applied = updater_->state().Applied(identity_.build_id);
  std::sort(applied.begin(), applied.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  std::vector<Job> done;
  for (const auto& rec : applied) {
    Job job = NewJob(StepState::kVerify, "apply", "cache", rec.patch_id, rec.version, rec.sha256, rec.module_name, rec.replace);
    auto result = updater_->Run(job);
    if (!result) return result.error();
    done.push_back(*result);
  }
  return done;
}

Expected<Job> Device::ApplyBundle(const std::filesystem::path& bundle) {
  if (auto r = Recover(); !r) return r.error();
  auto verified = ReadBundle(bundle, *root_key_, clock_->WallNow());
  if (!verified) return verified.error().WithContext(bundle.string());
  if (auto st = CheckKeysDocumentVersion(verified->keys.version, updater_->state().keys_version); !st)
    return st.error().WithContext(bundle.string());
  PatchCache cache(config_.paths.state_dir / "cache");
  const auto& parts = verified->parts;
  const std::string& sha = verified->manifest.module_sha256;
  LP_TRY(cache.StoreModule(sha, parts.module_bytes));
  LP_TRY(cache.StoreMetadata(sha, {parts.manifest_json, parts.manifest_sig, parts.keys_json, parts.keys_sig}));
  Job job = NewJob(StepState::kVerify, "apply", "local", verified->manifest.patch_id, verified->manifest.version, sha);
  return updater_->Run(job);
}

Expected<std::vector<Job>> Device::Revert(const std::string& patch_id) {
  if (auto r = Recover(); !r) return r.error();
  std::vector<Job> done;
  for (const auto& rec : updater_->state().Applied(identity_.build_id)) {
    if (!patch_id.empty() && rec.patch_id != patch_id) continue;
    Job job = NewJob(StepState::kRollback, "revert", "local", rec.patch_id, rec.version, rec.sha256, rec.module_name, rec.replace);
    auto result = updater_->Run(job);
    if (!result) return result.error();
    done.push_back(*result);
  }
  if (done.empty())
    return MakeError(ErrorCode::kNotFound, patch_id.empty() ? "no patch is applied" : "patch " + patch_id + " is not applied");
  return done;
}

}  // namespace lp::patchd
