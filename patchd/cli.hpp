// Entry points of the two executables; main() only forwards to these.
#pragma once

namespace lp::patchd::cli {

int PatchdMain(int argc, char** argv);
int PatchctlMain(int argc, char** argv);

}  // namespace lp::patchd::cli
