// Every filesystem location patchd and patchctl touch on the host comes from
// one SystemPaths value, so tests and the fleet simulator can point the whole
// program at a scratch tree. No other file spells "/sys/..." or "/proc/...".
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace lp {

struct SystemPaths {
  std::filesystem::path sysfs_root = "/sys";
  std::filesystem::path procfs_root = "/proc";
  std::filesystem::path state_dir = "/var/lib/patchd";
  std::filesystem::path config_file = "/etc/patchd/patchd.conf";

  // <sysfs_root>/kernel/livepatch: where the kernel lists loaded patches.
  std::filesystem::path LivepatchDir() const { return sysfs_root / "kernel" / "livepatch"; }
  // <procfs_root>/cmdline: the kernel command line (kill switch flag).
  std::filesystem::path KernelCmdline() const { return procfs_root / "cmdline"; }
};

// Reads one environment variable; empty optional-like "" when unset.
using EnvLookup = std::function<std::string(const std::string& name)>;

// The process environment (getenv), as an EnvLookup.
EnvLookup ProcessEnv();

// Applies config keys sysfs_root, procfs_root and state_dir (when present).
void ApplyPathConfig(const std::map<std::string, std::string>& config, SystemPaths& paths);

// Applies PATCHD_SYSFS_ROOT, PATCHD_PROCFS_ROOT and PATCHD_STATE_DIR; the
// environment wins over the config file so a test can redirect one run.
void ApplyPathEnv(const EnvLookup& env, SystemPaths& paths);

}  // namespace lp
