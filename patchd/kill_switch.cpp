#include "patchd/kill_switch.hpp"

#include <sstream>

#include "common/file_util.hpp"

namespace lp::patchd {

std::optional<std::string> KillSwitchReason(const SystemPaths& paths) {
  if (auto cmdline = ReadFile(paths.KernelCmdline(), 64 * 1024)) {
    std::istringstream words(*cmdline);
    for (std::string w; words >> w;)
      if (w == "patchd.disable=1") return "kernel command line has patchd.disable=1";
  }
  std::error_code ec;
  std::filesystem::path flag = paths.state_dir / "disabled";
  if (std::filesystem::exists(flag, ec)) return flag.string() + " exists";
  return std::nullopt;
}

}  // namespace lp::patchd
