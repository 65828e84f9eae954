// Client commands: talk to a running portal's admin API over HTTP(S).
#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "common/file_util.hpp"
#include "eportal/cli.hpp"
#include "eportal/cli_format.hpp"
#include "eportal/cli_options.hpp"
#include "eportal/http_client.hpp"

namespace lp::eportal::cli {
namespace {

using nlohmann::json;

std::string FromEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Sends one request; prints the portal's error and returns nullopt on a
// transport failure or a non-2xx answer.
std::optional<json> Call(const HttpClient& client, const std::string& method, const std::string& path,
                         const std::string& body = "", std::map<std::string, std::string> headers = {}) {
  auto r = client.Send(method, path, body, headers);
  if (!r) {
    std::cerr << "eportal: " << r.error().message << "\n";
    return std::nullopt;
  }
  json j = json::parse(r->body, nullptr, false);
  if (r->status < 200 || r->status > 299) {
    std::cerr << "eportal: " << method << " " << path << ": HTTP " << r->status << ": "
              << (j.is_object() ? j.value("message", r->body) : r->body) << "\n";
    return std::nullopt;
  }
  return j.is_discarded() ? json::object() : j;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    auto comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else out += {'%', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

int Print(const std::optional<json>& answer, bool as_json, void (*printer)(std::ostream&, const json&)) {
  if (!answer) return 1;
  if (as_json) std::cout << answer->dump(2) << "\n";
  else printer(std::cout, *answer);
  return 0;
}

// Splits "PATCH_ID:VERSION" (version optional: every imported version).
std::pair<std::string, std::uint64_t> PatchRef(const std::string& ref) {
  auto colon = ref.rfind(':');
  if (colon == std::string::npos) return {ref, 0};
  try {
    return {ref.substr(0, colon), std::stoull(ref.substr(colon + 1))};
  } catch (const std::exception&) {
    return {ref, 0};
  }
}

int Dispatch(const std::vector<std::string>& w, const po::variables_map& vm, const HttpClient& c) {
  const std::string cmd = w[0] + (w.size() > 1 && (w[0] == "user" || w[0] == "token" || w[0] == "patch") ? " " + w[1] : "");
  const std::size_t nargs = w.size() - (cmd.find(' ') == std::string::npos ? 1 : 2);
  const std::string arg = nargs ? w.back() : "";
  const bool as_json = Get<bool>(vm, "json");
  const std::string group = Get<std::string>(vm, "group");
  if (cmd == "user add" && nargs == 1) {
    json body = {{"name", arg}, {"role", Get<std::string>(vm, "role")}, {"groups", SplitCommas(Get<std::string>(vm, "groups"))}};
    auto a = Call(c, "POST", "/api/v1/admin/users", body.dump());
    return a ? (std::cout << a->value("token", "") << "\n", 0) : 1;
  }
  if (cmd == "token create" && nargs == 0 && !group.empty()) {
    json body = {{"group", group}, {"expires_in", Get<std::int64_t>(vm, "expires-in")}};
    auto a = Call(c, "POST", "/api/v1/admin/tokens", body.dump());
    return a ? (std::cout << a->value("token", "") << "\n", 0) : 1;
  }
  if (cmd == "patch import" && nargs == 1) {
    auto bytes = ReadFile(arg, 64u << 20);
    if (!bytes) return std::cerr << "eportal: " << bytes.error().message << "\n", 1;
    auto a = Call(c, "POST", "/api/v1/admin/patches", *bytes, {{"Content-Type", "application/octet-stream"}});
    if (!a) return 1;
    if (as_json) std::cout << a->dump(2) << "\n";
    else std::cout << "imported " << a->value("patch_id", "") << " version " << a->at("version") << " for "
                   << a->at("target").value("release", "") << "\n";
    return 0;
  }
  if (cmd == "patch list" && nargs == 0) return Print(Call(c, "GET", "/api/v1/admin/patches"), as_json, PrintPatches);
  if ((cmd == "release" || cmd == "revert") && nargs == 1 && !group.empty()) {
    auto [id, version] = PatchRef(arg);
    json body = {{"patch_id", id}, {"group", group}};
    if (cmd == "release") body["version"] = version;
    auto a = Call(c, "POST", cmd == "release" ? "/api/v1/admin/releases" : "/api/v1/admin/reverts", body.dump());
    return a ? (std::cout << cmd << " " << id << " -> group " << group << ": ok\n", 0) : 1;
  }
  if (cmd == "status" && nargs == 0) return Print(Call(c, "GET", "/api/v1/admin/status"), as_json, PrintStatus);
  if (cmd == "devices" && nargs == 0) {
    std::string query;
    if (!group.empty()) query += "&group=" + UrlEncode(group);
    if (vm.count("exposed")) query += "&exposed=" + UrlEncode(Get<std::string>(vm, "exposed"));
    if (!query.empty()) query[0] = '?';
    return Print(Call(c, "GET", "/api/v1/admin/devices" + query), as_json, PrintDevices);
  }
  if (cmd == "audit" && nargs == 0) {
    auto a = Call(c, "GET", "/api/v1/admin/audit");
    if (Print(a, as_json, PrintAudit) != 0) return 1;
    return Get<bool>(vm, "verify") && !a->at("verify").at("ok").get<bool>() ? 1 : 0;
  }
  std::cerr << "eportal: unknown command or missing argument: " << cmd << "\n";
  PrintUsage();
  return 2;
}

}  // namespace

int RunClient(const std::vector<std::string>& words, const std::vector<std::string>& args) {
  po::options_description desc("eportal client");
  desc.add_options()
      ("server", po::value<std::string>(), "portal URL, e.g. https://portal:8443")
      ("token", po::value<std::string>(), "admin API token")
      ("cacert", po::value<std::string>(), "CA certificate for the portal's TLS certificate")
      ("role", po::value<std::string>()->default_value("viewer"), "viewer|releaser|admin")
      ("groups", po::value<std::string>()->default_value(""), "comma-separated device groups (empty: all)")
      ("group", po::value<std::string>()->default_value(""), "device group")
      ("exposed", po::value<std::string>(), "only devices exposed to this CVE")
      ("expires-in", po::value<std::int64_t>()->default_value(7 * 86400), "token lifetime in seconds")
      ("json", po::bool_switch(), "print the answer as JSON")
      ("verify", po::bool_switch(), "exit 1 when the audit chain is broken");
  auto vm = Parse(args, desc);
  if (!vm) return 2;
  ClientOptions o;
  o.base_url = vm->count("server") ? Get<std::string>(*vm, "server") : FromEnv("EPORTAL_SERVER");
  // Precedence: --token, then EPORTAL_TOKEN, then the config file.
  bool token_flag = false;
  for (const std::string& a : args) token_flag |= a == "--token" || a.rfind("--token=", 0) == 0;
  o.token = token_flag || FromEnv("EPORTAL_TOKEN").empty() ? Get<std::string>(*vm, "token") : FromEnv("EPORTAL_TOKEN");
  o.ca_file = Get<std::string>(*vm, "cacert");
  if (o.base_url.empty()) {
    std::cerr << "eportal: no portal given (--server URL, EPORTAL_SERVER or server = in --config)\n";
    return 2;
  }
  return Dispatch(words, *vm, HttpClient(o));
}

}  // namespace lp::eportal::cli
