#include "eportal/cli_format.hpp"

#include <iomanip>

namespace lp::eportal::cli {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return "";
  const auto& v = j.at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string Short(const std::string& s, std::size_t n = 12) { return s.size() > n ? s.substr(0, n) : s; }

}  // namespace

void PrintPatches(std::ostream& out, const nlohmann::json& answer) {
  out << std::left << std::setw(24) << "PATCH" << std::setw(8) << "VERSION" << std::setw(22) << "KERNEL"
      << std::setw(14) << "BUILD-ID" << "CVES\n";
  for (const auto& p : answer.at("patches")) {
    std::string cves;
    for (const auto& c : p.at("cves")) cves += (cves.empty() ? "" : ",") + c.get<std::string>();
    out << std::setw(24) << Str(p, "patch_id") << std::setw(8) << Str(p, "version") << std::setw(22)
        << Str(p.at("target"), "release") << std::setw(14) << Short(Str(p.at("target"), "build_id")) << cves << "\n";
  }
}

void PrintStatus(std::ostream& out, const nlohmann::json& a) {
  out << "devices " << Str(a, "devices") << ": patched " << Str(a, "patched") << ", pending " << Str(a, "pending")
      << ", failed " << Str(a, "failed") << ", stale " << Str(a, "stale") << "; patches " << Str(a, "patches")
      << "\n";
  for (const auto& k : a.at("kernels")) {
    out << "  " << std::left << std::setw(22) << Str(k, "release") << std::setw(14) << Short(Str(k, "build_id"))
        << std::setw(8) << Str(k, "arch") << Str(k, "devices") << " devices";
    for (const auto& [status, n] : k.at("status").items()) out << ", " << status << " " << n.dump();
    out << "\n";
  }
}

void PrintDevices(std::ostream& out, const nlohmann::json& answer) {
  out << std::left << std::setw(20) << "DEVICE" << std::setw(16) << "HOST" << std::setw(12) << "GROUP"
      << std::setw(22) << "KERNEL" << std::setw(9) << "STATUS" << "LAST CHECK-IN\n";
  for (const auto& d : answer.at("devices"))
    out << std::setw(20) << Str(d, "device_id") << std::setw(16) << Short(Str(d, "hostname"), 15) << std::setw(12)
        << Str(d, "group") << std::setw(22) << Str(d.at("identity"), "release") << std::setw(9) << Str(d, "status")
        << Str(d, "last_checkin") << "\n";
}

void PrintAudit(std::ostream& out, const nlohmann::json& answer) {
  for (const auto& e : answer.at("entries"))
    out << std::setw(5) << Str(e, "seq") << " " << Str(e, "time") << " " << Str(e, "actor") << " "
        << Str(e, "action") << " " << e.at("detail").dump() << "\n";
  const auto& v = answer.at("verify");
  if (v.at("ok").get<bool>())
    out << "audit chain intact (" << Str(v, "entries") << " entries)\n";
  else
    out << "AUDIT CHAIN BROKEN: " << Str(v, "problem") << "\n";
}

}  // namespace lp::eportal::cli
