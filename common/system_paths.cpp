#include "common/system_paths.hpp"

#include <cstdlib>

namespace lp {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::string {
    const char* v = std::getenv(name.c_str());
    return v ? std::string(v) : std::string();
  };
}

void ApplyPathConfig(const std::map<std::string, std::string>& config, SystemPaths& paths) {
  auto set = [&](const char* key, std::filesystem::path& out) {
    if (auto it = config.find(key); it != config.end() && !it->second.empty()) out = it->second;
  };
  set("sysfs_root", paths.sysfs_root);
  set("procfs_root", paths.procfs_root);
  set("state_dir", paths.state_dir);
}

void ApplyPathEnv(const EnvLookup& env, SystemPaths& paths) {
  auto set = [&](const char* name, std::filesystem::path& out) {
    if (std::string v = env(name); !v.empty()) out = v;
  };
  set("PATCHD_SYSFS_ROOT", paths.sysfs_root);
  set("PATCHD_PROCFS_ROOT", paths.procfs_root);
  set("PATCHD_STATE_DIR", paths.state_dir);
}

}  // namespace lp
