// Runs a child process with an explicit argv (never through a shell) and
// captures what it prints. Every external tool patchbuild's tree stage uses
// (tar, make, patch, cp, dpkg-query) goes through RunCommand.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace lp::patchbuild::tree {

struct CommandSpec {
  // argv[0] is looked up in PATH (posix_spawnp); the rest are passed as is.
  std::vector<std::string> argv;
  // Working directory of the child; empty = the caller's.
  std::filesystem::path cwd;
  // Full environment ("NAME=value") when set; the caller's environment when not.
  std::optional<std::vector<std::string>> env;
  // Output beyond this many bytes is dropped from the middle (head and tail
  // are kept: the head names what started, the tail says why it stopped).
  std::size_t max_output = 8u << 20;
};

struct CommandResult {
  int exit_code = -1;   // exit status, or 128 + signal number when killed
  std::string output;   // stdout and stderr interleaved, as a terminal shows them
  bool ok() const { return exit_code == 0; }
};

// A command with default cwd/env/limits.
CommandSpec Command(std::vector<std::string> argv);

// A make/kbuild command: CleanBuildEnvironment() as its environment.
CommandSpec BuildCommand(std::vector<std::string> argv);

// Runs the command to completion. Fails only when the child could not be
// started or waited for; a non-zero exit is a normal CommandResult.
Expected<CommandResult> RunCommand(const CommandSpec& spec);

// argv joined with spaces, for messages and logs (not for execution).
std::string DescribeArgv(const std::vector<std::string>& argv);

// The caller's environment without the variables that would change how make
// and kbuild behave behind our back (MAKEFLAGS from an outer make's jobserver,
// KCFLAGS, ARCH, CROSS_COMPILE, O, ...), plus `extra` entries.
std::vector<std::string> CleanBuildEnvironment(const std::vector<std::string>& extra = {});

}  // namespace lp::patchbuild::tree
