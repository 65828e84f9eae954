// Read-only admin endpoints: patch list, fleet status, devices, audit log.
// Viewers see only the groups in their scope.
#include <map>
#include <tuple>

#include "common/keys.hpp"
#include "eportal/device_status.hpp"
#include "eportal/handlers.hpp"

namespace lp::eportal {

nlohmann::json PatchSummary(const CataloguePatch& p) {
  const PatchRecord& r = p.record;
  return {{"patch_id", r.patch_id},
          {"version", r.version},
          {"target", {{"release", r.target.release}, {"build_id", r.target.build_id}, {"arch", r.target.arch}}},
          {"module_name", p.module_name},
          {"module_sha256", r.blob_sha256},
          {"module_size", p.module_size},
          {"cves", p.cves},
          {"description", p.description},
          {"imported", FormatTime(r.imported)}};
}

namespace {

std::vector<DeviceRecord> VisibleDevices(const Services& s, const UserRecord& user, const std::string& group) {
  std::vector<DeviceRecord> out;
  for (DeviceRecord& d : s.devices.All())
    if (user.CanSeeGroup(d.group) && (group.empty() || d.group == group)) out.push_back(std::move(d));
  return out;
}

nlohmann::json DeviceJson(const DeviceRecord& d, const std::string& status) {
  auto applied = nlohmann::json::parse(d.applied_json, nullptr, false);
  return {{"device_id", d.id},
          {"hostname", d.hostname},
          {"group", d.group},
          {"identity", {{"release", d.identity.release}, {"build_id", d.identity.build_id}, {"arch", d.identity.arch}}},
          {"enrolled", FormatTime(d.enrolled)},
          {"last_checkin", d.last_checkin ? FormatTime(d.last_checkin) : ""},
          {"applied", applied.is_discarded() ? nlohmann::json::array() : applied},
          {"last_error", d.last_error},
          {"status", status}};
}

}  // namespace

Response HandleListPatches(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kViewer);
  if (!auth) return auth.failure;
  nlohmann::json list = nlohmann::json::array();
  for (const PatchPtr& p : s.catalogue.Patches()) list.push_back(PatchSummary(*p));
  return JsonResponse(200, {{"patches", list}});
}

Response HandleStatus(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kViewer);
  if (!auth) return auth.failure;
  const std::time_t now = s.now();
  std::map<std::string, int> totals = {{"patched", 0}, {"pending", 0}, {"failed", 0}, {"stale", 0}};
  std::map<std::tuple<std::string, std::string, std::string>, std::map<std::string, int>> kernels;
  const auto devices = VisibleDevices(s, *auth.who, "");
  for (const DeviceRecord& d : devices) {
    DevicePlan plan = s.catalogue.PlanFor(d.group, d.identity);
    std::string status = ClassifyDevice(d, plan, now, s.settings.stale_after);
    ++totals[status];
    ++kernels[{d.identity.release, d.identity.build_id, d.identity.arch}][status];
  }
  nlohmann::json by_kernel = nlohmann::json::array();
  for (const auto& [k, counts] : kernels) {
    int n = 0;
    for (const auto& [status, c] : counts) n += c;
    by_kernel.push_back({{"release", std::get<0>(k)}, {"build_id", std::get<1>(k)}, {"arch", std::get<2>(k)},
                         {"devices", n}, {"status", counts}});
  }
  return JsonResponse(200, {{"devices", devices.size()},
                            {"patched", totals["patched"]},
                            {"pending", totals["pending"]},
                            {"failed", totals["failed"]},
                            {"stale", totals["stale"]},
                            {"patches", s.catalogue.Patches().size()},
                            {"kernels", by_kernel}});
}

Response HandleDevices(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kViewer);
  if (!auth) return auth.failure;
  const std::string group = req.Query("group").value_or("");
  const std::string cve = req.Query("exposed").value_or("");
  const std::time_t now = s.now();
  nlohmann::json list = nlohmann::json::array();
  for (const DeviceRecord& d : VisibleDevices(s, *auth.who, group)) {
    if (!cve.empty() && !IsExposed(d, s.catalogue, cve)) continue;
    DevicePlan plan = s.catalogue.PlanFor(d.group, d.identity);
    list.push_back(DeviceJson(d, ClassifyDevice(d, plan, now, s.settings.stale_after)));
  }
  return JsonResponse(200, {{"devices", list}});
}

Response HandleAudit(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kAdmin);
  if (!auth) return auth.failure;
  auto entries = s.store.ListAudit();
  if (!entries) return ErrorToResponse(entries.error());
  auto check = s.store.VerifyAudit();
  if (!check) return ErrorToResponse(check.error());
  nlohmann::json list = nlohmann::json::array();
  for (const AuditEntry& e : *entries) {
    auto detail = nlohmann::json::parse(e.detail_json, nullptr, false);
    list.push_back({{"seq", e.seq}, {"time", FormatTime(e.time)}, {"actor", e.actor}, {"action", e.action},
                    {"detail", detail.is_discarded() ? nlohmann::json(e.detail_json) : detail},
                    {"hash", e.hash}});
  }
  return JsonResponse(200, {{"entries", list},
                            {"verify", {{"ok", check->ok}, {"entries", check->entries}, {"problem", check->problem}}}});
}

}  // namespace lp::eportal
