// The patchbuild command line: `patchbuild <subcommand> [options]`.
//
// Exit codes are API (scripts and CI branch on them), as in kpatch:
//   0  ok
//   1  error (bad arguments, unreadable input, a check failed)
//   2  unreconcilable diff: the change cannot be made into a livepatch (build/diff)
//   3  no change: the patch changes no function (build/diff)
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lp::patchbuild::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUnreconcilable = 2,
  kExitNoChange = 3,
};

// Where a subcommand writes: results to out, diagnostics to err.
struct Io {
  std::ostream& out;
  std::ostream& err;
};

// args excludes argv[0]: {"keys", "init", "DIR"}.
int Main(const std::vector<std::string>& args);
int Main(const std::vector<std::string>& args, Io io);

}  // namespace lp::patchbuild::cli
