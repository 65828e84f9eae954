#include "patchd/config.hpp"

#include <charconv>
#include <functional>

#include "common/file_util.hpp"

namespace lp::patchd {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status SetInt(const std::string& key, const std::string& value, std::int64_t& out) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < 0)
    return MakeError(ErrorCode::kInvalidArgument, "config " + key + ": not a number: " + value);
  out = v;
  return Ok();
}

Status SetFlag(const std::string& key, const std::string& value, bool& out) {
  if (value != "0" && value != "1")
    return MakeError(ErrorCode::kInvalidArgument, "config " + key + ": expected 0 or 1, got " + value);
  out = value == "1";
  return Ok();
}

// The check-in answer is signed, but the credential and what the portal
// learns about the device are not: plain HTTP only when asked for.
Status CheckPortalUrl(const Config& c) {
  if (c.portal_url.empty() || c.portal_url.starts_with("https://")) return Ok();
  if (c.portal_url.starts_with("http://")) {
    if (c.allow_plain_http) return Ok();
    return MakeError(ErrorCode::kInvalidArgument,
                     "config portal_url: " + c.portal_url +
                         " is plain HTTP; use https:// (or set allow_plain_http = 1 for a loopback test portal)");
  }
  return MakeError(ErrorCode::kInvalidArgument, "config portal_url: expected https://HOST[:PORT], got " + c.portal_url);
}

}  // namespace

Expected<std::map<std::string, std::string>> ParseKeyValues(std::string_view text) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || Trim(line.substr(0, eq)).empty())
      return MakeError(ErrorCode::kParse,
                       "line " + std::to_string(line_no) + ": expected `key = value`");
    out[std::string(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  return out;
}

Expected<Config> ConfigFromKeys(const std::map<std::string, std::string>& keys) {
  Config c;
  ApplyPathConfig(keys, c.paths);
  using Setter = std::function<Status(const std::string&, const std::string&)>;
  auto str = [](std::string& field) -> Setter {
    return [&field](const std::string&, const std::string& v) { field = v; return Ok(); };
  };
  auto path = [](std::filesystem::path& field) -> Setter {
    return [&field](const std::string&, const std::string& v) { field = v; return Ok(); };
  };
  auto num = [](std::int64_t& field) -> Setter {
    return [&field](const std::string& k, const std::string& v) { return SetInt(k, v, field); };
  };
  auto flag = [](bool& field) -> Setter {
    return [&field](const std::string& k, const std::string& v) { return SetFlag(k, v, field); };
  };
  auto ignore = [](const std::string&, const std::string&) { return Ok(); };
  const std::map<std::string, Setter> setters = {
      {"portal_url", str(c.portal_url)},       {"allow_plain_http", flag(c.allow_plain_http)},
      {"root_key", path(c.root_key)},
      {"ca_file", path(c.ca_file)},            {"pinned_key", str(c.pinned_key)},
      {"enroll_token", str(c.enroll_token)},   {"hostname", str(c.hostname)},
      {"kernel", str(c.kernel)},               {"poll_interval", num(c.poll_interval_s)},
      {"long_poll", num(c.long_poll_s)},       {"transition_timeout", num(c.transition_timeout_s)},
      {"http_timeout", num(c.http_timeout_s)}, {"max_blob_bytes", num(c.max_blob_bytes)},
      {"backoff_max", num(c.backoff_max_s)},   {"sysfs_root", ignore},
      {"fake_release", str(c.fake_release)},   {"fake_arch", str(c.fake_arch)},
      {"fake_build_id", str(c.fake_build_id)},
      {"procfs_root", ignore},                 {"state_dir", ignore},
  };
  for (const auto& [key, value] : keys) {
    auto it = setters.find(key);
    if (it == setters.end()) return MakeError(ErrorCode::kInvalidArgument, "unknown config key: " + key);
    LP_TRY(it->second(key, value));
  }
  if (c.kernel != "sysfs" && c.kernel.rfind("fake:", 0) != 0)
    return MakeError(ErrorCode::kInvalidArgument, "config kernel: expected sysfs or fake:<dir>");
  LP_TRY(CheckPortalUrl(c));
  if (c.long_poll_s > 300) c.long_poll_s = 300;
  if (c.poll_interval_s < 1) c.poll_interval_s = 1;
  return c;
}

Expected<Config> LoadConfig(const std::filesystem::path& path, const EnvLookup& env) {
  std::map<std::string, std::string> keys;
  auto text = ReadFile(path, 1u << 20);
  if (text) {
    auto parsed = ParseKeyValues(*text);
    if (!parsed) return parsed.error().WithContext(path.string());
    keys = std::move(*parsed);
  } else if (text.error().code != ErrorCode::kNotFound) {
    return text.error();
  }
  auto config = ConfigFromKeys(keys);
  if (!config) return config.error().WithContext(path.string());
  config->paths.config_file = path;
  ApplyPathEnv(env, config->paths);
  return config;
}

}  // namespace lp::patchd
