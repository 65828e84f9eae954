// Which kernel a source tree or a target build is: the upstream version from
// the top Makefile (VERSION.PATCHLEVEL.SUBLEVEL) and, when findable, Debian's
// package version ("6.1.192-2"). Objects rebuilt from another version would
// not match the running kernel, so a mismatch stops the build early.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace lp::patchbuild::tree {

struct KernelVersion {
  int version = 0;
  int patchlevel = 0;
  int sublevel = 0;
  std::string extraversion;
  std::string debian;  // package version, e.g. "6.1.192-2"; empty when unknown

  // "6.1.192" (+ extraversion); Debian's version in parentheses when known.
  std::string Upstream() const;
  std::string Describe() const;
  bool SameUpstream(const KernelVersion& o) const {
    return version == o.version && patchlevel == o.patchlevel && sublevel == o.sublevel &&
           extraversion == o.extraversion;
  }
};

// Reads VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION from a kernel Makefile's
// text. A Debian headers Makefile is one "include <common>/Makefile" line:
// that include is followed (relative to `dir`).
Expected<KernelVersion> ReadMakefileVersion(const std::filesystem::path& makefile);
Expected<KernelVersion> ParseMakefileVersion(const std::string& text);

// Debian's package version from a headers tree's include/generated/package.h
// (#define LINUX_PACKAGE_ID " Debian 6.1.192-2"); empty when absent.
std::string ReadDebianPackageId(const std::filesystem::path& headers_dir);

// Errors unless the source tree's version is the target's. Debian versions
// are compared only when both are known.
Status CheckSameVersion(const KernelVersion& source, const KernelVersion& target,
                        const std::string& release);

}  // namespace lp::patchbuild::tree
