// patchbuild inspect BUNDLE --root ROOT.pub [--json] [--extract DIR]
#include <ctime>
#include <ostream>

#include "common/bundle.hpp"
#include "common/file_util.hpp"
#include "patchbuild/cli_options.hpp"
#include "patchbuild/commands.hpp"
#include "patchbuild/module_sign.hpp"

namespace lp::patchbuild::cli {
namespace {

std::string ModuleSignatureSummary(const std::string& module) {
  auto sig = ParseModuleSignature(module);
  if (!sig) return HasModuleSignature(module) ? "malformed (" + sig.error().message + ")" : "none";
  return "PKCS#7, " + std::to_string(sig->info.sig_len) + " bytes";
}

void PrintHuman(std::ostream& os, const VerifiedBundle& b) {
  const Manifest& m = b.manifest;
  os << "patch:       " << m.patch_id << " version " << m.version << "\n"
     << "target:      " << m.target.release << " " << m.target.arch << " build-id "
     << m.target.build_id << "\n"
     << "module:      " << m.module_name << " (" << m.module_file << ", " << m.module_size
     << " bytes, sha256 " << m.module_sha256 << ")\n"
     << "module sig:  " << ModuleSignatureSummary(b.parts.module_bytes) << "\n"
     << "replace:     " << (m.replace ? "yes (cumulative atomic replace)" : "no") << "\n"
     << "functions:  ";
  if (m.functions.empty()) os << " (none listed)";
  for (const auto& f : m.functions)
    os << " " << f.object << ":" << f.name << (f.sympos ? "," + std::to_string(f.sympos) : "");
  os << "\ncves:       ";
  if (m.cves.empty()) os << " (none)";
  for (const auto& c : m.cves) os << " " << c;
  os << "\ndescription: " << m.description << "\n"
     << "created:     " << m.created << " by " << m.builder << "\n"
     << "signed by:   patch key " << m.signing_key_id << " (keys document version "
     << b.keys.version << ", expires " << b.keys.expires << ")\n";
}

}  // namespace

int RunInspect(const Args& args, Io io) {
  const std::string usage = "patchbuild inspect BUNDLE --root ROOT.pub [--json] [--extract DIR]";
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "root", po::value<std::string>(), "root public key (PEM) that signed keys.json")(
      "json", "print the manifest JSON exactly as signed")(
      "extract", po::value<std::string>(), "write the verified module file into DIR")(
      "bundle", po::value<std::string>(), "bundle file");
  po::positional_options_description pos;
  pos.add("bundle", 1);
  auto vm = ParseArgs(args, desc, pos);
  if (!vm) return ReportError(io, "inspect", vm.error());
  if (vm->count("help")) {
    PrintUsage(io.out, usage, desc);
    return kExitOk;
  }
  if (!vm->count("bundle") || !vm->count("root")) {
    PrintUsage(io.err, usage, desc);
    return kExitError;
  }
  auto root = Ed25519Key::LoadPublic((*vm)["root"].as<std::string>());
  if (!root) return ReportError(io, "inspect", root.error());
  std::string path = (*vm)["bundle"].as<std::string>();
  auto bundle = ReadBundle(path, *root, std::time(nullptr));
  if (!bundle) return ReportError(io, "inspect", bundle.error());
  if (vm->count("extract")) {
    std::filesystem::path dir = (*vm)["extract"].as<std::string>();
    if (auto st = MakeDirs(dir); !st) return ReportError(io, "inspect", st.error());
    auto target = dir / bundle->manifest.module_file;  // a plain name: the manifest parser checks it
    if (auto st = WriteFileAtomic(target, bundle->parts.module_bytes); !st)
      return ReportError(io, "inspect", st.error());
    io.err << "extracted " << target.string() << "\n";
  }
  if (vm->count("json")) {
    io.out << bundle->parts.manifest_json;
  } else {
    io.out << "bundle:      " << path << " (verified)\n";
    PrintHuman(io.out, *bundle);
  }
  return kExitOk;
}

}  // namespace lp::patchbuild::cli
