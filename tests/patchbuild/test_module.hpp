// Test fixtures for patchbuild: a small ELF object with a .modinfo section
// standing in for a livepatch .ko (compiled with gcc at test time), and a
// way to run shell commands.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/file_util.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::testing {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult Run(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

// Compiles dir/<file_name> (an ELF relocatable object) whose .modinfo says
// name=<modinfo_name> (omitted when empty).
inline std::filesystem::path MakeFakeModule(const std::filesystem::path& dir,
                                            const std::string& file_name,
                                            const std::string& modinfo_name) {
  std::filesystem::path src = dir / (file_name + ".c");
  std::ofstream out(src);
  out << "static const char lic[] __attribute__((section(\".modinfo\"), used)) = "
         "\"license=GPL\";\n";
  if (!modinfo_name.empty())
    out << "static const char nm[] __attribute__((section(\".modinfo\"), used)) = \"name="
        << modinfo_name << "\";\n";
  out << "int patched_function(int x) { return x * 3 + 1; }\n";
  out.close();
  auto r = Run("gcc -c -O2 -o " + (dir / file_name).string() + " " + src.string());
  EXPECT_EQ(r.status, 0) << r.output;
  return dir / file_name;
}

}  // namespace lp::testing
