// `patchbuild diff`: the diff stage alone on two objects (patchbuild/diff).
#include "patchbuild/commands.hpp"
#include "patchbuild/diff/diff_main.hpp"

namespace lp::patchbuild::cli {

int RunDiff(const Args& args, Io io) { return DiffMain(args, io.out, io.err); }

}  // namespace lp::patchbuild::cli
