// patchbuild keys init DIR [--expires-days N]
#include <ctime>
#include <ostream>

#include "patchbuild/cli_options.hpp"
#include "patchbuild/commands.hpp"
#include "patchbuild/key_dir.hpp"

namespace lp::patchbuild::cli {

int RunKeys(const Args& args, Io io) {
  const std::string usage = "patchbuild keys init DIR [--expires-days N]";
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "expires-days", po::value<long>()->default_value(365), "keys document lifetime in days")(
      "action", po::value<std::string>(), "init")("dir", po::value<std::string>(), "directory");
  po::positional_options_description pos;
  pos.add("action", 1).add("dir", 1);
  auto vm = ParseArgs(args, desc, pos);
  if (!vm) return ReportError(io, "keys", vm.error());
  if (vm->count("help")) {
    PrintUsage(io.out, usage, desc);
    return kExitOk;
  }
  if (!vm->count("action") || (*vm)["action"].as<std::string>() != "init" || !vm->count("dir")) {
    PrintUsage(io.err, usage, desc);
    return kExitError;
  }
  std::string dir = (*vm)["dir"].as<std::string>();
  if (auto st = key_dir::Init(dir, (*vm)["expires-days"].as<long>(), std::time(nullptr)); !st)
    return ReportError(io, "keys init", st.error());
  io.out << "wrote root, patch, portal and module keys and keys.json(.sig) to " << dir << "\n"
         << "keep root.key offline; give devices root.pub; enroll module.crt in kernels that "
            "enforce module signatures\n";
  return kExitOk;
}

}  // namespace lp::patchbuild::cli
