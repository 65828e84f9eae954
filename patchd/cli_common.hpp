// Small helpers shared by the patchd and patchctl command lines.
#pragma once

#include <iostream>
#include <string>

#include "patchd/config.hpp"
#include "patchd/journal.hpp"

namespace lp::patchd::cli {

// One line to stderr (systemd's journal adds time and unit).
inline void Log(const std::string& line) { std::cerr << line << std::endl; }

// "applied lp-cmdline v3" / "refused lp-cmdline v2: rollback refused: ..."
inline std::string Describe(const Job& job) {
  std::string what = job.result.empty() ? "nothing done" : job.result;
  std::string s = what + (job.patch_id.empty() ? "" : " " + job.patch_id + " v" + std::to_string(job.version));
  if (!job.error.empty()) s += ": " + job.error;
  for (const auto& t : job.blocking_tasks) s += "\n  blocked by " + t;
  return s;
}

inline Expected<Config> LoadCliConfig(const std::string& path_flag) {
  SystemPaths defaults;
  return LoadConfig(path_flag.empty() ? defaults.config_file : std::filesystem::path(path_flag), ProcessEnv());
}

}  // namespace lp::patchd::cli
