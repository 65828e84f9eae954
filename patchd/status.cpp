#include "patchd/status.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>

#include "common/keys.hpp"
#include "patchd/device.hpp"
#include "patchd/journal.hpp"
#include "patchd/kill_switch.hpp"

namespace lp::patchd {
using nlohmann::json;
namespace {

StatusExit Classify(const DeviceStatus& s, const std::vector<PatchRecord>& applied) {
  if (!s.livepatch_supported) return kUnsupported;
  if (!s.identity_error.empty()) return kStatusError;
  if (!s.job_state.empty() && s.job_state != "idle") return kPending;
  for (const auto& r : applied) {
    bool live = std::any_of(s.loaded.begin(), s.loaded.end(), [&](const LoadedPatch& p) {
      return p.kernel.name == r.module_name && p.kernel.InEffect();
    });
    if (!live) return kPending;
  }
  return applied.empty() && s.loaded.empty() ? kNothingApplied : kUpToDate;
}

std::string When(std::int64_t t) { return t ? FormatTime(static_cast<std::time_t>(t)) : "never"; }

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

}  // namespace

DeviceStatus CollectStatus(const Config& config, LivepatchKernel& kernel) {
  DeviceStatus s;
  if (auto id = ReadDeviceIdentity(config)) {
    s.release = id->release;
    s.build_id = id->build_id;
    s.arch = id->arch;
  } else {
    s.identity_error = id.error().message;
  }
  auto probe = kernel.Probe();
  s.livepatch_supported = static_cast<bool>(probe);
  if (!probe) s.unsupported_reason = probe.error().message;
  s.kill_switch = KillSwitchReason(config.paths);
  DeviceState state;
  if (auto loaded = LoadDeviceState(config.paths.state_dir)) state = *loaded;
  else s.identity_error = loaded.error().message;
  if (auto job = LoadJournal(config.paths.state_dir)) s.job_state = StepStateName(job->state);
  for (const auto& r : state.patches)
    if (r.build_id == s.build_id) s.records.push_back(r);
  if (auto names = kernel.ListPatches()) {
    for (const auto& name : *names) {
      auto ps = kernel.ReadPatchState(name);
      if (!ps) continue;
      LoadedPatch lp{*ps, std::nullopt};
      for (const auto& r : s.records)
        if (r.module_name == name && r.state == "applied") lp.record = r;
      s.loaded.push_back(std::move(lp));
    }
  }
  std::set<std::string> cves;
  for (const auto& p : s.loaded)
    if (p.record && p.kernel.InEffect()) cves.insert(p.record->cves.begin(), p.record->cves.end());
  s.cves_fixed.assign(cves.begin(), cves.end());
  s.device_id = state.device_id;
  s.last_error = state.last_error;
  s.last_checkin = state.last_checkin;
  s.exit = Classify(s, state.Applied(s.build_id));
  return s;
}

std::string StatusJson(const DeviceStatus& s) {
  json loaded = json::array();
  for (const auto& p : s.loaded) {
    json objects = json::array();
    for (const auto& o : p.kernel.objects) {
      json fns = json::array();
      for (const auto& f : o.functions) fns.push_back({{"name", f.name}, {"sympos", f.sympos}});
      json obj{{"name", o.name}, {"functions", fns}};
      if (o.patched) obj["patched"] = *o.patched;
      objects.push_back(obj);
    }
    json e{{"module", p.kernel.name}, {"enabled", p.kernel.enabled}, {"transition", p.kernel.transition},
           {"in_effect", p.kernel.InEffect()}, {"objects", objects}};
    if (p.record) {
      e["patch_id"] = p.record->patch_id;
      e["version"] = p.record->version;
      e["cves"] = p.record->cves;
    }
    loaded.push_back(e);
  }
  json records = json::array();
  for (const auto& r : s.records)
    records.push_back({{"patch_id", r.patch_id}, {"version", r.version}, {"state", r.state},
                       {"module", r.module_name}, {"cves", r.cves}});
  json j{{"kernel", {{"release", s.release}, {"build_id", s.build_id}, {"arch", s.arch}}},
         {"livepatch_supported", s.livepatch_supported},
         {"disabled", s.kill_switch ? json(*s.kill_switch) : json(nullptr)},
         {"patches", loaded}, {"history", records}, {"cves_fixed", s.cves_fixed},
         {"device_id", s.device_id}, {"last_checkin", s.last_checkin ? json(When(s.last_checkin)) : json(nullptr)},
         {"last_error", s.last_error}, {"job", s.job_state}, {"exit", static_cast<int>(s.exit)}};
  if (!s.identity_error.empty()) j["error"] = s.identity_error;
  if (!s.unsupported_reason.empty()) j["unsupported_reason"] = s.unsupported_reason;
  return j.dump(2) + "\n";
}

std::string StatusText(const DeviceStatus& s) {
  std::ostringstream out;
  out << "kernel:        " << (s.release.empty() ? "?" : s.release) << " (" << s.arch << ")\n"
      << "build id:      " << (s.build_id.empty() ? s.identity_error : s.build_id) << "\n"
      << "livepatch:     " << (s.livepatch_supported ? "supported" : "NOT supported: " + s.unsupported_reason) << "\n";
  if (s.kill_switch) out << "DISABLED:      " << *s.kill_switch << " (nothing will be applied)\n";
  out << "patches:       " << (s.loaded.empty() ? "none loaded" : "") << "\n";
  for (const auto& p : s.loaded) {
    out << "  " << p.kernel.name << ": " << (p.kernel.InEffect() ? "in effect" : p.kernel.transition ? "in transition" : "disabled");
    if (p.record) out << "  [" << p.record->patch_id << " v" << p.record->version << "]";
    out << "\n";
    for (const auto& o : p.kernel.objects)
      for (const auto& f : o.functions) out << "      " << o.name << ":" << f.name << (f.sympos ? "," + std::to_string(f.sympos) : "") << "\n";
  }
  out << "CVEs fixed:    " << Joined(s.cves_fixed) << "\n"
      << "device id:     " << (s.device_id.empty() ? "(not enrolled)" : s.device_id) << "\n"
      << "last check-in: " << When(s.last_checkin) << "\n"
      << "last error:    " << (s.last_error.empty() ? "-" : s.last_error) << "\n";
  if (!s.job_state.empty() && s.job_state != "idle") out << "job:           in progress (" << s.job_state << ")\n";
  return out.str();
}

std::string ListText(const DeviceStatus& s) {
  std::ostringstream out;
  for (const auto& r : s.records)
    out << r.patch_id << "\tv" << r.version << "\t" << r.state << "\t" << r.module_name << "\t" << Joined(r.cves) << "\n";
  if (s.records.empty()) out << "no patches for this kernel\n";
  return out.str();
}

}  // namespace lp::patchd
