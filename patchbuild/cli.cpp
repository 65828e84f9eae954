#include "patchbuild/cli.hpp"

#include <iostream>
#include <string_view>

#include "patchbuild/commands.hpp"

namespace lp::patchbuild::cli {
namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args& args, Io io);
};

// Add a subcommand here (diff and build will join this table).
constexpr Subcommand kSubcommands[] = {
    {"keys", "keys init DIR: create root, patch, portal and module keys", RunKeys},
    {"bundle", "sign an existing livepatch module and pack a bundle", RunBundle},
    {"inspect", "verify a bundle and print its manifest", RunInspect},
    {"build", "build a signed livepatch bundle from a source patch for one kernel build", RunBuild},
    {"diff", "diff ORIG.o PATCHED.o [--disasm] [--json]: changed and new functions", RunDiff},
};

void PrintHelp(std::ostream& os) {
  os << "usage: patchbuild <command> [options]   (patchbuild <command> --help)\n\ncommands:\n";
  for (const auto& s : kSubcommands) os << "  " << s.name << "\t" << s.summary << "\n";
  os << "\nexit codes: 0 ok, 1 error, 2 unreconcilable diff, 3 no change\n";
}

}  // namespace

int Main(const std::vector<std::string>& args) { return Main(args, Io{std::cout, std::cerr}); }

int Main(const std::vector<std::string>& args, Io io) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintHelp(args.empty() ? io.err : io.out);
    return args.empty() ? kExitError : kExitOk;
  }
  for (const auto& s : kSubcommands)
    if (args[0] == s.name) return s.run(Args(args.begin() + 1, args.end()), io);
  io.err << "patchbuild: unknown command '" << args[0] << "'\n";
  PrintHelp(io.err);
  return kExitError;
}

}  // namespace lp::patchbuild::cli
