// The patch catalogue and the release plan per group, held in memory so a
// check-in is answered without touching the database. Loaded from the Store
// at start-up; every change is written to the Store first, then applied here.
// Thread-safe (readers share a lock; changes are rare).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "eportal/records.hpp"

namespace lp::eportal {

// One imported patch, immutable once built.
struct CataloguePatch {
  PatchRecord record;
  std::vector<std::string> cves;
  std::string description;
  std::string module_name;
  std::uint64_t module_size = 0;
  std::string manifest_b64;  // ready for check-in answers
  std::string signature_b64;
};
using PatchPtr = std::shared_ptr<const CataloguePatch>;

// What one device should have right now.
struct DevicePlan {
  std::vector<PatchPtr> patches;       // newest released version per patch id for its identity
  std::vector<std::string> reverts;    // patch ids an admin asked its group to revert
};

class Catalogue {
 public:
  // Parses the manifest bytes of a stored record (trusted: verified at import).
  static Expected<PatchPtr> MakePatch(PatchRecord record);

  void AddPatch(PatchPtr patch);
  void ApplyEvent(const ReleaseEvent& event);

  std::vector<PatchPtr> Patches() const;
  // Every imported version of patch_id (any target); version 0 means all.
  std::vector<PatchPtr> Find(const std::string& patch_id, std::uint64_t version) const;
  // Another version of patch_id for `target` whose module is named
  // module_name (the lowest such version), or nullptr. Versions of one stream
  // must not share a module name: a cumulative replacement is loaded while
  // the module it replaces is live, and the kernel refuses a second module of
  // one name (patchd would take it as already applied).
  PatchPtr FindModuleNameInStream(const std::string& patch_id, const KernelIdentity& target, std::uint64_t version,
                                  const std::string& module_name) const;
  DevicePlan PlanFor(const std::string& group, const KernelIdentity& identity) const;
  // Bumped on every change; lets callers notice that plans may have changed.
  std::uint64_t generation() const;
  // Called after every change, outside the lock (the server wakes parked
  // long polls with it). Pass nullptr to remove.
  void SetOnChange(std::function<void()> on_change);

 private:
  struct GroupEntry {
    std::set<std::uint64_t> versions;
    bool reverted = false;
  };
  mutable std::shared_mutex mu_;
  std::vector<PatchPtr> patches_;
  std::map<std::string, std::map<std::string, GroupEntry>> plans_;  // group -> patch id -> entry
  std::uint64_t generation_ = 0;
  std::function<void()> on_change_;

  void Changed();
  void ApplyEventLocked(const ReleaseEvent& event);
};

}  // namespace lp::eportal
