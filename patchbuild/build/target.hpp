// The kernel build a patch is for, as far as the tree stage needs it: its
// release, its complete .config and .kernelvariables (Debian's headers
// package has both) and the version it was built from.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "patchbuild/build/kernel_version.hpp"

namespace lp::patchbuild::tree {

// Where Debian installs kernel headers; overridable so tests can use a fake
// layout.
struct TargetRoots {
  std::filesystem::path usr_src = "/usr/src";
  std::filesystem::path lib_modules = "/lib/modules";
};

struct TargetOptions {
  std::string release;                   // uname -r of the target, e.g. 6.1.0-56-amd64
  std::filesystem::path headers_dir;     // default: <usr_src>/linux-headers-R, else <lib_modules>/R/build
  std::filesystem::path config;          // default: <headers_dir>/.config
  std::filesystem::path kernelvariables; // default: <headers_dir>/.kernelvariables
};

struct Target {
  std::string release;
  std::filesystem::path headers_dir;
  std::filesystem::path config;
  std::filesystem::path kernelvariables;
  KernelVersion version;  // from the headers' Makefile + package.h
};

// Fills in the defaults and checks that every file exists. /boot/config-R is
// deliberately not a fallback: Debian strips lines from it, and olddefconfig
// would then drift from the target (DESIGN.md).
Expected<Target> ResolveTarget(const TargetOptions& options, const TargetRoots& roots = {});

}  // namespace lp::patchbuild::tree
