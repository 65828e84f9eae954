// `patchbuild diff ORIG.o PATCHED.o [--disasm] [--json]`
//
// `args` are the arguments after the subcommand name (not including "diff"
// or argv[0]). Output goes to `out`, diagnostics to `err`. Returns the
// documented exit status (as kpatch's create-diff-object):
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lp::patchbuild {

inline constexpr int kDiffExitChanged = 0;         // changes found, all patchable
inline constexpr int kDiffExitError = 1;           // bad usage, unreadable object ...
inline constexpr int kDiffExitUnreconcilable = 2;  // e.g. a changed global data initialiser
inline constexpr int kDiffExitNoChange = 3;        // nothing to patch

int DiffMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace lp::patchbuild
