// The kill switch: when a patch must not come back (say it crashes devices at
// boot), `patchd.disable=1` on the kernel command line or a file
// <state_dir>/disabled stops patchd from applying anything. Reverts still work.
#pragma once

#include <optional>
#include <string>

#include "common/system_paths.hpp"

namespace lp::patchd {

// Why applying is disabled, or nullopt when it is not.
std::optional<std::string> KillSwitchReason(const SystemPaths& paths);

}  // namespace lp::patchd
