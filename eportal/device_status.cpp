#include "eportal/device_status.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace lp::eportal {
namespace {

struct Applied {
  std::string patch_id;
  std::uint64_t version = 0;
  std::string state;
};

std::vector<Applied> ParseApplied(const std::string& json) {
  std::vector<Applied> out;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& a : j)
    if (a.is_object())
      out.push_back({a.value("patch_id", ""), a.value("version", std::uint64_t{0}), a.value("state", "")});
  return out;
}

bool HasCve(const CataloguePatch& p, const std::string& cve) {
  return std::find(p.cves.begin(), p.cves.end(), cve) != p.cves.end();
}

}  // namespace

std::string ClassifyDevice(const DeviceRecord& device, const DevicePlan& plan, std::time_t now,
                           int stale_after) {
  if (device.last_checkin == 0 || now - device.last_checkin > stale_after) return "stale";
  const std::vector<Applied> applied = ParseApplied(device.applied_json);
  bool pending = false;
  for (const PatchPtr& p : plan.patches) {
    bool done = false;
    for (const Applied& a : applied) {
      if (a.patch_id != p->record.patch_id) continue;
      if (a.state == "failed" || a.state == "refused") return "failed";
      if (a.state == "applied" && a.version >= p->record.version) done = true;
    }
    pending = pending || !done;
  }
  for (const std::string& id : plan.reverts)
    for (const Applied& a : applied)
      if (a.patch_id == id && a.state == "applied") pending = true;
  return pending ? "pending" : "patched";
}

bool IsExposed(const DeviceRecord& device, const Catalogue& catalogue, const std::string& cve) {
  bool fix_exists = false;
  for (const PatchPtr& p : catalogue.Patches())
    if (p->record.target == device.identity && HasCve(*p, cve)) fix_exists = true;
  if (!fix_exists) return false;
  for (const Applied& a : ParseApplied(device.applied_json)) {
    if (a.state != "applied") continue;
    for (const PatchPtr& p : catalogue.Find(a.patch_id, a.version))
      if (p->record.target == device.identity && HasCve(*p, cve)) return false;
  }
  return true;
}

}  // namespace lp::eportal
