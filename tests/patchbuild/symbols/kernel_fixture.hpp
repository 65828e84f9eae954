// The installed target kernel for tests that read the real vmlinux: finds
// /boot/vmlinuz-R (never a hardcoded R), unpacks it once with the kernel
// tree's scripts/extract-vmlinux into a cache under the build directory,
// and decodes its kallsyms once per process.
//
// Missing kernel: skipped on a developer machine, a failure when CI=true
// (CI installs the target kernel, so its absence is a broken CI image).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::symbols::testing {

struct TargetKernel {
  std::string release;       // "6.1.0-56-amd64"
  std::string vmlinux;       // the uncompressed ELF bytes
  VmlinuxImage image;        // view of `vmlinux`
  SymbolTable table;         // decoded kallsyms
  double decode_seconds = 0;
};

struct KernelLoad {
  const TargetKernel* kernel = nullptr;
  std::string why;       // set when kernel is null
  bool missing = false;  // no kernel installed (vs. present but unreadable)
};

// Loaded once per process, on first use.
const KernelLoad& LoadTargetKernel();

bool RunningInCi();

}  // namespace lp::patchbuild::symbols::testing

// Fetches the kernel or ends the test: a missing kernel skips locally and
// fails under CI=true; a kernel that is there but cannot be decoded fails.
#define LP_REQUIRE_TARGET_KERNEL(var)                                           \
  const auto& lp_load_ = ::lp::patchbuild::symbols::testing::LoadTargetKernel(); \
  if (!lp_load_.kernel) {                                                       \
    if (!lp_load_.missing || ::lp::patchbuild::symbols::testing::RunningInCi()) \
      FAIL() << lp_load_.why;                                                   \
    GTEST_SKIP() << lp_load_.why;                                               \
  }                                                                             \
  const auto& var = *lp_load_.kernel
