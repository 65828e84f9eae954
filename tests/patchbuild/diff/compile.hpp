// Compiles tiny C sources into objects at test time, the way kbuild compiles
// kernel code for patchbuild: -O2 with function and data sections, and in the
// "kernel" flavour also -pg -mfentry -mcmodel=kernel (calls to __fentry__ at
// every function entry, absolute R_X86_64_32S references, no PIE).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::testing {

struct Flavour {
  const char* name;
  const char* flags;
};

// gtest prints parameters in test names and failures: show the flavour name.
inline void PrintTo(const Flavour& f, std::ostream* os) { *os << f.name; }

inline constexpr Flavour kUserFlavour{"user", ""};
inline constexpr Flavour kKernelFlavour{
    "kernel", "-pg -mfentry -fno-PIE -mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables"};

// Writes `source` to DIR/NAME.c and compiles it to DIR/NAME.o. Fails the
// current test (and returns an empty path) when gcc does.
inline std::filesystem::path CompileC(const lp::testing::TempDir& dir, const std::string& name,
                                      const std::string& source, const std::string& extra_flags = "") {
  const auto c = dir / (name + ".c");
  const auto o = dir / (name + ".o");
  const auto log = dir / (name + ".log");
  std::ofstream(c) << source;
  const std::string cmd = "gcc -O2 -c -ffunction-sections -fdata-sections " + extra_flags + " '" + c.string() +
                          "' -o '" + o.string() + "' > '" + log.string() + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ADD_FAILURE() << "gcc failed: " << cmd << "\n" << text;
    return {};
  }
  return o;
}

}  // namespace lp::patchbuild::testing
