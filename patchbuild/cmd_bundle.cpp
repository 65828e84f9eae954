// patchbuild bundle --module FILE.ko --target RELEASE (--vmlinuz F | --build-id HEX)
//                   --keys DIR -o OUT.bundle [...]
#include <ctime>
#include <ostream>

#include "patchbuild/bundle_builder.hpp"
#include "patchbuild/cli_options.hpp"
#include "patchbuild/commands.hpp"

namespace lp::patchbuild::cli {
namespace {

using Strings = std::vector<std::string>;

po::options_description BundleOptions() {
  po::options_description desc("options");
  desc.add_options()
      ("help,h", "show this help")
      ("module", po::value<std::string>()->required(), "livepatch module (.ko) to ship")
      ("target", po::value<std::string>()->required(), "target kernel release (uname -r)")
      ("vmlinuz", po::value<std::string>(), "target kernel image: its build id is read from it")
      ("build-id", po::value<std::string>(), "target build id (hex), instead of --vmlinuz")
      ("arch", po::value<std::string>()->default_value("x86_64"), "target architecture")
      ("keys", po::value<std::string>()->required(), "key directory (patchbuild keys init)")
      ("patch-id", po::value<std::string>(), "patch stream id (default: the module name)")
      ("version", po::value<std::uint64_t>()->default_value(1), "version within the stream")
      ("function", po::value<Strings>()->composing(), "patched function OBJ:NAME[,SYMPOS]")
      ("cve", po::value<Strings>()->composing(), "CVE id fixed (repeatable)")
      ("description", po::value<std::string>()->default_value(""), "what the patch does")
      ("no-module-sign", "do not append a kernel module signature")
      ("output,o", po::value<std::string>()->required(), "bundle file to write");
  return desc;
}

Expected<BundleRequest> ToRequest(const po::variables_map& vm) {
  BundleRequest r;
  r.module = vm["module"].as<std::string>();
  r.release = vm["target"].as<std::string>();
  if (vm.count("vmlinuz")) r.vmlinuz = vm["vmlinuz"].as<std::string>();
  if (vm.count("build-id")) r.build_id = vm["build-id"].as<std::string>();
  r.arch = vm["arch"].as<std::string>();
  r.keys_dir = vm["keys"].as<std::string>();
  if (vm.count("patch-id")) r.patch_id = vm["patch-id"].as<std::string>();
  r.version = vm["version"].as<std::uint64_t>();
  if (vm.count("function"))
    for (const auto& spec : vm["function"].as<Strings>()) {
      auto f = ParseFunctionSpec(spec);
      if (!f) return f.error();
      r.functions.push_back(*f);
    }
  if (vm.count("cve")) r.cves = vm["cve"].as<Strings>();
  r.description = vm["description"].as<std::string>();
  r.sign_module = !vm.count("no-module-sign");
  r.output = vm["output"].as<std::string>();
  r.now = std::time(nullptr);
  return r;
}

}  // namespace

int RunBundle(const Args& args, Io io) {
  const std::string usage =
      "patchbuild bundle --module FILE.ko --target RELEASE (--vmlinuz FILE | --build-id HEX) "
      "--keys DIR -o OUT.bundle [options]";
  po::options_description desc = BundleOptions();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    PrintUsage(args.empty() ? io.err : io.out, usage, desc);
    return args.empty() ? kExitError : kExitOk;
  }
  auto vm = ParseArgs(args, desc, po::positional_options_description());
  if (!vm) return ReportError(io, "bundle", vm.error());
  auto request = ToRequest(*vm);
  if (!request) return ReportError(io, "bundle", request.error());
  auto manifest = BuildBundle(*request);
  if (!manifest) return ReportError(io, "bundle", manifest.error());
  io.out << "wrote " << request->output.string() << ": " << manifest->patch_id << " version "
         << manifest->version << " for " << manifest->target.release << " (build id "
         << manifest->target.build_id << "), module " << manifest->module_file << " "
         << manifest->module_size << " bytes\n";
  return kExitOk;
}

}  // namespace lp::patchbuild::cli
