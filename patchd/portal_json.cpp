#include <nlohmann/json.hpp>

#include "patchd/portal_api.hpp"

namespace lp::patchd {
using nlohmann::json;
namespace {

json IdentityJson(const KernelIdentity& id) {
  return json{{"release", id.release}, {"build_id", id.build_id}, {"arch", id.arch}};
}

}  // namespace

std::string EnrollBody(const std::string& token, const std::string& hostname, const KernelIdentity& id) {
  return json{{"token", token}, {"hostname", hostname}, {"identity", IdentityJson(id)}}.dump();
}

std::string CheckinBody(const CheckinRequest& r) {
  json applied = json::array();
  for (const auto& a : r.applied)
    applied.push_back(json{{"patch_id", a.patch_id}, {"version", a.version}, {"state", a.state}});
  return json{{"identity", IdentityJson(r.identity)},
              {"applied", applied},
              {"last_error", r.last_error},
              {"wait", r.wait_s}}
      .dump();
}

Expected<EnrollResult> ParseEnrollResponse(const std::string& body) {
  try {
    json j = json::parse(body);
    EnrollResult r{j.at("device_id").get<std::string>(), j.at("credential").get<std::string>(),
                   j.value("group", "")};
    if (r.device_id.empty() || r.credential.empty())
      return MakeError(ErrorCode::kParse, "enroll response: empty device_id or credential");
    return r;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kParse, std::string("enroll response: ") + e.what());
  }
}

}  // namespace lp::patchd
