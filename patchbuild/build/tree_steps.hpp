// The individual steps of preparing a tree (kernel_tree.cpp runs them in
// order). Each returns an Error naming the step and, for a failed command,
// the tail of its output.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/command.hpp"
#include "patchbuild/build/kernel_version.hpp"
#include "patchbuild/build/target.hpp"

namespace lp::patchbuild::tree {

// Runs a command; a non-zero exit becomes an Error. With a log path the whole
// output is written there and the error is one line: "<what> failed (exit N):
// <last line of output> (log: <path>)"; without, it ends with the last lines.
Expected<CommandResult> RunChecked(const CommandSpec& spec, const std::string& what,
                                   const std::filesystem::path& log = {});

// The last line of make's output that is not make's own bookkeeping
// ("make: Leaving directory", "make[2]: *** [...] Error 1"): usually the
// tool's own complaint. Falls back to the last line.
std::string LastMeaningfulLine(const std::string& output);

// The last `lines` lines of a command's output, for error messages.
std::string OutputTail(const std::string& output, std::size_t lines = 15);

// Unpacks a tarball's single top directory into dest (created), or copies a
// source directory's contents into dest.
Status MaterializeSource(const std::filesystem::path& source, const std::filesystem::path& dest);

// Debian package version of the package that installed `file` (dpkg-query),
// or "" when no package owns it or dpkg is not there.
std::string OwningPackageVersion(const std::filesystem::path& file);

// Copies .config and .kernelvariables in, runs olddefconfig, and errors when
// the resulting config differs from the target's.
// make's output goes to <log_dir>/olddefconfig.log.
Status ConfigureTree(const std::filesystem::path& tree, const Target& target,
                     const std::vector<std::string>& make_olddefconfig, const std::filesystem::path& log_dir);

// Identity of the source for the cache key: for a tarball its canonical
// path, size and mtime; for a directory its path and top Makefile.
Expected<std::string> SourceIdentity(const std::filesystem::path& source);

// Hex SHA-256 of data.
std::string Sha256Hex(const std::string& data);

}  // namespace lp::patchbuild::tree
