// Compares two kernel .config files option by option. After olddefconfig the
// tree's config must equal the target's: any difference means the source
// tree or the toolchain is not the one the target was built with (another
// gcc changes CONFIG_CC_VERSION_TEXT and the CC_HAS_* probes; a missing
// pahole drops DEBIAN_INFO_BTF), and objects built from it would not match.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace lp::patchbuild::tree {

// CONFIG_X -> value; "# CONFIG_X is not set" is recorded as "n".
std::map<std::string, std::string> ParseKernelConfig(const std::string& text);

// One line per differing option: "CONFIG_X: target y, tree n" (at most `limit`).
std::vector<std::string> ConfigDifferences(const std::string& target, const std::string& tree,
                                           std::size_t limit = 5);

}  // namespace lp::patchbuild::tree
