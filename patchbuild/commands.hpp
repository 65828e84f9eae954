// The subcommands dispatched by cli::Main. Each takes its own arguments
// (after the subcommand name) and returns an ExitCode.
#pragma once

#include <string>
#include <vector>

#include "patchbuild/cli.hpp"

namespace lp::patchbuild::cli {

using Args = std::vector<std::string>;

int RunKeys(const Args& args, Io io);     // keys init DIR
int RunBundle(const Args& args, Io io);   // bundle --module ... -o OUT
int RunInspect(const Args& args, Io io);  // inspect BUNDLE --root ROOT.pub
int RunDiff(const Args& args, Io io);     // diff ORIG.o PATCHED.o [--disasm] [--json]
int RunBuild(const Args& args, Io io);    // build --target R --patch P --keys DIR -o OUTDIR

}  // namespace lp::patchbuild::cli
