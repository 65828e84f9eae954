// patchd's configuration: `key = value` lines (# comments), then environment
// overrides for the paths. Unknown keys are an error so a typo is not silently
// ignored on a device in the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/system_paths.hpp"

namespace lp::patchd {

struct Config {
  SystemPaths paths;
  std::string portal_url;             // "https://portal.example:8443" (no /api/v1)
  bool allow_plain_http = false;      // accept an http:// portal_url (loopback tests only)
  std::filesystem::path root_key;     // PEM public root key: the only key a device trusts
  std::filesystem::path ca_file;      // CA bundle for the portal's TLS certificate
  std::string pinned_key;             // optional CURLOPT_PINNEDPUBLICKEY ("sha256//...")
  std::string enroll_token;           // used once, when state has no credential yet
  std::string hostname;               // sent at enrollment; default gethostname()
  std::string kernel = "sysfs";       // "sysfs" or "fake:<dir>" (tests, fleet simulator)
  std::int64_t poll_interval_s = 300; // until the portal says otherwise
  std::int64_t long_poll_s = 0;       // check-in `wait` (0..300)
  std::int64_t transition_timeout_s = 60;  // bound on a livepatch transition
  std::int64_t http_timeout_s = 30;
  std::int64_t max_blob_bytes = 64ll << 20;
  std::int64_t backoff_max_s = 3600;
  // Simulation only (kernel = fake:...): pretend to run this kernel.
  std::string fake_release, fake_arch, fake_build_id;
};

// Parses `key = value` lines into a map; reports the line of a malformed one.
Expected<std::map<std::string, std::string>> ParseKeyValues(std::string_view text);

// Builds a Config from already-parsed keys (unknown key -> error).
Expected<Config> ConfigFromKeys(const std::map<std::string, std::string>& keys);

// Reads path (a missing file gives the defaults), applies the keys, then the
// environment path overrides.
Expected<Config> LoadConfig(const std::filesystem::path& path, const EnvLookup& env);

}  // namespace lp::patchd
