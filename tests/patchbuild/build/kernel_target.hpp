// Shared by the kernel-label tests that compile in a real kernel tree: which
// target to use and where the prepared tree is cached, each overridable from
// the environment (LP_TARGET_RELEASE, LP_KERNEL_SOURCE, FLEETPATCH_TEST_CACHE).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/target.hpp"

namespace lp::patchbuild::testing {

inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The first installed release with usable headers (and, if asked, its
// /boot/vmlinuz); "" when there is none.
inline std::string FindTargetRelease(bool need_vmlinuz = false) {
  std::string release = EnvOr("LP_TARGET_RELEASE", "");
  if (!release.empty()) return release;
  std::error_code ec;
  std::vector<std::string> releases;
  for (const auto& e : std::filesystem::directory_iterator("/lib/modules", ec))
    releases.push_back(e.path().filename());
  std::sort(releases.begin(), releases.end());
  for (const auto& r : releases) {
    if (!tree::ResolveTarget(tree::TargetOptions{r, {}, {}, {}})) continue;
    if (need_vmlinuz && !std::filesystem::exists("/boot/vmlinuz-" + r)) continue;
    return r;
  }
  return "";
}

// Tree options for the target, with the cache shared by every kernel test.
inline tree::TreeOptions KernelTreeOptions(const std::string& release) {
  tree::TreeOptions o;
  o.source = EnvOr("LP_KERNEL_SOURCE", "/usr/src/linux-source-6.1.tar.xz");
  o.target.release = release;
  o.cache_dir = EnvOr("FLEETPATCH_TEST_CACHE", "/var/tmp/fleetpatch-test-cache");
  return o;
}

}  // namespace lp::patchbuild::testing
