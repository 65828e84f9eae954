#include "patchd/cli.hpp"

int main(int argc, char** argv) { return lp::patchd::cli::PatchctlMain(argc, argv); }
