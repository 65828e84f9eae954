#include "patchd/device_state.hpp"

#include <nlohmann/json.hpp>

#include "common/file_util.hpp"

namespace lp::patchd {
using nlohmann::json;

PatchRecord* DeviceState::Find(const std::string& patch_id, std::uint64_t version) {
  for (auto& p : patches)
    if (p.patch_id == patch_id && p.version == version) return &p;
  return nullptr;
}

void DeviceState::Record(const PatchRecord& record) {
  if (PatchRecord* existing = Find(record.patch_id, record.version)) {
    *existing = record;
  } else {
    patches.push_back(record);
  }
  if (record.state == "applied") {
    auto& highest = highest_version[StreamKey(record.patch_id, record.build_id)];
    if (record.version > highest) highest = record.version;
  }
}

std::vector<PatchRecord> DeviceState::Applied(const std::string& build_id) const {
  std::vector<PatchRecord> out;
  for (const auto& p : patches)
    if (p.state == "applied" && p.build_id == build_id) out.push_back(p);
  return out;
}

std::string StreamKey(const std::string& patch_id, const std::string& build_id) {
  return patch_id + "@" + build_id;
}

std::filesystem::path StateFile(const std::filesystem::path& state_dir) {
  return state_dir / "state.json";
}

namespace {

json RecordToJson(const PatchRecord& p) {
  return json{{"patch_id", p.patch_id}, {"version", p.version},   {"build_id", p.build_id},
              {"sha256", p.sha256},     {"module_name", p.module_name}, {"replace", p.replace},
              {"state", p.state},       {"cves", p.cves},         {"description", p.description},
              {"updated", p.updated}};
}

PatchRecord RecordFromJson(const json& j) {
  PatchRecord p;
  p.patch_id = j.at("patch_id").get<std::string>();
  p.version = j.at("version").get<std::uint64_t>();
  p.build_id = j.value("build_id", "");
  p.sha256 = j.value("sha256", "");
  p.module_name = j.value("module_name", "");
  p.replace = j.value("replace", true);
  p.state = j.at("state").get<std::string>();
  p.cves = j.value("cves", std::vector<std::string>{});
  p.description = j.value("description", "");
  p.updated = j.value("updated", std::int64_t{0});
  return p;
}

}  // namespace

Expected<DeviceState> LoadDeviceState(const std::filesystem::path& state_dir) {
  auto text = ReadFile(StateFile(state_dir), 16u << 20);
  if (!text && text.error().code == ErrorCode::kNotFound) return DeviceState{};
  if (!text) return text.error();
  try {
    json j = json::parse(*text);
    DeviceState s;
    s.device_id = j.value("device_id", "");
    s.credential = j.value("credential", "");
    s.group = j.value("group", "");
    s.last_issued = j.value("last_issued", std::int64_t{0});
    s.keys_version = j.value("keys_version", std::uint64_t{0});
    s.last_checkin = j.value("last_checkin", std::int64_t{0});
    s.etag = j.value("etag", "");
    s.poll_interval_s = j.value("poll_interval", std::int64_t{0});
    s.last_error = j.value("last_error", "");
    for (const auto& p : j.value("patches", json::array())) s.patches.push_back(RecordFromJson(p));
    s.highest_version = j.value("highest_version", std::map<std::string, std::uint64_t>{});
    s.pending_reports = j.value("pending_reports", std::vector<std::string>{});
    return s;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kParse, StateFile(state_dir).string() + ": " + e.what());
  }
}

Status SaveDeviceState(const std::filesystem::path& state_dir, const DeviceState& s) {
  json patches = json::array();
  for (const auto& p : s.patches) patches.push_back(RecordToJson(p));
  json j{{"device_id", s.device_id},   {"credential", s.credential},
         {"group", s.group},           {"last_issued", s.last_issued},
         {"keys_version", s.keys_version},
         {"last_checkin", s.last_checkin}, {"etag", s.etag},
         {"poll_interval", s.poll_interval_s}, {"last_error", s.last_error},
         {"patches", patches},         {"highest_version", s.highest_version},
         {"pending_reports", s.pending_reports}};
  LP_TRY(MakeDirs(state_dir));
  return WriteFileAtomic(StateFile(state_dir), j.dump(2) + "\n", 0600);
}

}  // namespace lp::patchd
