#include "eportal/catalogue.hpp"

#include <mutex>

#include "common/crypto.hpp"
#include "common/manifest.hpp"

namespace lp::eportal {

Expected<PatchPtr> Catalogue::MakePatch(PatchRecord record) {
  auto manifest = ParseManifest(record.manifest_json);
  if (!manifest) return manifest.error().WithContext("patch " + record.patch_id);
  auto p = std::make_shared<CataloguePatch>();
  p->cves = manifest->cves;
  p->description = manifest->description;
  p->module_name = manifest->module_name;
  p->module_size = manifest->module_size;
  p->manifest_b64 = Base64Encode(record.manifest_json);
  p->signature_b64 = Base64Encode(record.manifest_sig);
  p->record = std::move(record);
  return PatchPtr(std::move(p));
}

void Catalogue::AddPatch(PatchPtr patch) {
  {
    std::unique_lock lock(mu_);
    patches_.push_back(std::move(patch));
    ++generation_;
  }
  Changed();
}

void Catalogue::ApplyEvent(const ReleaseEvent& event) {
  ApplyEventLocked(event);
  Changed();
}

void Catalogue::ApplyEventLocked(const ReleaseEvent& event) {
  std::unique_lock lock(mu_);
  GroupEntry& entry = plans_[event.group][event.patch_id];
  if (event.kind == ReleaseEvent::Kind::kRelease) {
    entry.versions.insert(event.version);
    entry.reverted = false;
  } else {
    // A revert withdraws every released version until the patch is released again.
    entry.versions.clear();
    entry.reverted = true;
  }
  ++generation_;
}

std::vector<PatchPtr> Catalogue::Patches() const {
  std::shared_lock lock(mu_);
  return patches_;
}

std::vector<PatchPtr> Catalogue::Find(const std::string& patch_id, std::uint64_t version) const {
  std::shared_lock lock(mu_);
  std::vector<PatchPtr> out;
  for (const PatchPtr& p : patches_)
    if (p->record.patch_id == patch_id && (version == 0 || p->record.version == version)) out.push_back(p);
  return out;
}

PatchPtr Catalogue::FindModuleNameInStream(const std::string& patch_id, const KernelIdentity& target,
                                           std::uint64_t version, const std::string& module_name) const {
  std::shared_lock lock(mu_);
  PatchPtr found;
  for (const PatchPtr& p : patches_) {
    const PatchRecord& r = p->record;
    if (r.patch_id != patch_id || r.target != target || r.version == version || p->module_name != module_name)
      continue;
    if (!found || r.version < found->record.version) found = p;
  }
  return found;
}

DevicePlan Catalogue::PlanFor(const std::string& group, const KernelIdentity& identity) const {
  std::shared_lock lock(mu_);
  DevicePlan plan;
  auto g = plans_.find(group);
  if (g == plans_.end()) return plan;
  for (const auto& [patch_id, entry] : g->second) {
    if (entry.reverted) {
      plan.reverts.push_back(patch_id);
      continue;
    }
    PatchPtr best;
    for (const PatchPtr& p : patches_) {
      const PatchRecord& r = p->record;
      if (r.patch_id != patch_id || r.target != identity || !entry.versions.count(r.version)) continue;
      if (!best || r.version > best->record.version) best = p;
    }
    if (best) plan.patches.push_back(best);
  }
  return plan;
}

std::uint64_t Catalogue::generation() const {
  std::shared_lock lock(mu_);
  return generation_;
}

}  // namespace lp::eportal

namespace lp::eportal {

void Catalogue::SetOnChange(std::function<void()> on_change) {
  std::unique_lock lock(mu_);
  on_change_ = std::move(on_change);
}

void Catalogue::Changed() {
  std::function<void()> notify;
  {
    std::shared_lock lock(mu_);
    notify = on_change_;
  }
  if (notify) notify();
}

}  // namespace lp::eportal
