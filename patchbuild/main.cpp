// patchbuild: builds, signs and packs livepatch bundles. All logic lives in
// patchbuild_lib; see cli.hpp for subcommands and exit codes.
#include <string>
#include <vector>

#include "patchbuild/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return lp::patchbuild::cli::Main(args);
}
