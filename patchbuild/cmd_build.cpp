// patchbuild build --target RELEASE --kernel-src SRC --patch FIX.patch [--patch ...]
//                  --keys DIR -o OUTDIR [options]
// The whole pipeline: check the inputs that are cheap to check (patches,
// keys, target files), prepare the target's tree, compile the touched units
// twice, generate and link the livepatch module and prove the rebuilt
// originals against the shipped kernel (patchbuild/generate), then sign it
// and write OUTDIR/NAME.bundle. All intermediate files live in a scratch
// directory, so a failure leaves nothing half-written in OUTDIR. The summary
// (or --json) is build_report.hpp.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <ostream>

#include "common/file_util.hpp"
#include "common/manifest.hpp"
#include "patchbuild/build/patch_set.hpp"
#include "patchbuild/build/target.hpp"
#include "patchbuild/build_report.hpp"
#include "patchbuild/bundle_builder.hpp"
#include "patchbuild/cli_options.hpp"
#include "patchbuild/commands.hpp"
#include "patchbuild/generate/pipeline.hpp"
#include "patchbuild/module_name.hpp"

namespace lp::patchbuild::cli {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

po::options_description BuildOptions() {
  po::options_description desc("options");
  desc.add_options()
      ("help,h", "show this help")
      ("target", po::value<std::string>()->required(), "target kernel release (uname -r)")
      ("kernel-src", po::value<std::string>()->default_value("/usr/src/linux-source-6.1.tar.xz"),
       "kernel source tarball or tree")
      ("patch", po::value<Strings>()->composing()->required(), "unified diff (repeatable, applied in order)")
      ("keys", po::value<std::string>()->required(), "key directory (patchbuild keys init)")
      ("module-key", po::value<std::string>(), "module signing key (PEM; default KEYS/module.key)")
      ("module-cert", po::value<std::string>(), "its X.509 certificate (PEM; default KEYS/module.crt)")
      ("name", po::value<std::string>(),
       "module name, /sys/kernel/livepatch/NAME (1-41 of a-z, 0-9, _; not a digit first); default "
       "lp_<patch-id>_v<version> with --patch-id, else lp_fix. Each version needs its own: during an atomic "
       "replace both modules are loaded")
      ("patch-id", po::value<std::string>(), "patch stream id shared by all versions (default: the module name)")
      ("version", po::value<std::uint64_t>()->default_value(1), "version within the patch stream")
      ("cve", po::value<Strings>()->composing(), "CVE id fixed (repeatable)")
      ("description", po::value<std::string>()->default_value(""), "what the patch does")
      ("vmlinuz", po::value<std::string>(), "target kernel image (default /boot/vmlinuz-RELEASE)")
      ("kallsyms", po::value<std::string>(), "the target's symbols: a /proc/kallsyms dump from a device")
      ("system-map", po::value<std::string>(), "the target's symbols: a System.map (the -dbg package's)")
      ("headers", po::value<std::string>(),
       "target kernel build dir (default /usr/src/linux-headers-RELEASE, else /lib/modules/RELEASE/build)")
      ("config", po::value<std::string>(), "target kernel .config (default HEADERS/.config)")
      ("cache-dir", po::value<std::string>(), "where prepared trees are cached")
      ("skeleton-dir", po::value<std::string>()->default_value(LP_SKELETON_DIR), "kmod/skeleton")
      ("json", "print the result (or {\"error\": ...}) as one JSON object on stdout")
      ("output,o", po::value<std::string>()->required(), "output directory");
  return desc;
}

// A scratch directory removed on every exit path.
class ScratchDir {
 public:
  static Expected<ScratchDir> Create() {
    std::string tmpl = (fs::temp_directory_path() / "patchbuild-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return MakeError(ErrorCode::kIo, "cannot create a scratch directory");
    return ScratchDir(tmpl);
  }
  ScratchDir(ScratchDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ScratchDir(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit ScratchDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

std::string Opt(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::string>() : std::string();
}

std::optional<std::string> OptionalOpt(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? std::optional<std::string>(Opt(vm, name)) : std::nullopt;
}

fs::path VmlinuzOf(const po::variables_map& vm) {
  return vm.count("vmlinuz") ? fs::path(Opt(vm, "vmlinuz")) : fs::path("/boot/vmlinuz-" + Opt(vm, "target"));
}

Expected<generate::PipelineOptions> ToPipeline(const po::variables_map& vm, const fs::path& work,
                                               const std::string& name) {
  generate::PipelineOptions o;
  o.tree.source = Opt(vm, "kernel-src");
  o.tree.target.release = Opt(vm, "target");
  o.tree.target.headers_dir = Opt(vm, "headers");
  o.tree.target.config = Opt(vm, "config");
  o.tree.cache_dir = Opt(vm, "cache-dir");
  for (const auto& p : vm["patch"].as<Strings>()) {
    auto set = tree::ParsePatch(p);
    if (!set) return set.error();
    o.patches.push_back(std::move(*set));
  }
  o.vmlinuz = VmlinuzOf(vm);
  o.kallsyms = Opt(vm, "kallsyms");
  o.system_map = Opt(vm, "system-map");
  o.work_dir = work;
  o.skeleton_dir = Opt(vm, "skeleton-dir");
  o.name = name;
  o.description = Opt(vm, "description");
  return o;
}

// `name`: the module's, the patch id when --patch-id is not given.
BundleRequest ToBundle(const po::variables_map& vm, const std::string& name, const fs::path& module,
                       const std::string& release, const fs::path& output) {
  BundleRequest r;
  r.module = module;
  r.release = release;
  r.vmlinuz = VmlinuzOf(vm);
  r.keys_dir = Opt(vm, "keys");
  if (vm.count("module-key")) r.module_key = Opt(vm, "module-key");
  if (vm.count("module-cert")) r.module_cert = Opt(vm, "module-cert");
  r.patch_id = vm.count("patch-id") ? vm["patch-id"].as<std::string>() : name;
  r.version = vm["version"].as<std::uint64_t>();
  if (vm.count("cve")) r.cves = vm["cve"].as<Strings>();
  r.description = Opt(vm, "description");
  r.output = output;
  r.now = std::time(nullptr);
  return r;
}

// Everything that can be checked in well under a second, before the tree is
// prepared and anything is compiled: the target's files, the keys, the
// symbol file and where the bundle goes.
Status Preflight(const po::variables_map& vm, const generate::PipelineOptions& options, const fs::path& out_dir) {
  auto target = tree::ResolveTarget(options.tree.target);
  if (!target) return target.error();
  std::error_code ec;
  if (!fs::is_regular_file(options.vmlinuz, ec))
    return MakeError(ErrorCode::kNotFound, options.vmlinuz.string() + ": no kernel image for target " +
                                               options.tree.target.release + " (--vmlinuz)");
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    return MakeError(ErrorCode::kInvalidArgument, out_dir.string() + ": -o must be a directory");
  const BundleRequest request = ToBundle(vm, options.name, fs::path(), options.tree.target.release, fs::path());
  // What the manifest will refuse, refused now rather than after the compile.
  if (auto ok = CheckPatchId(request.patch_id); !ok) return ok.error().WithContext("--patch-id");
  for (const auto& cve : request.cves)
    if (auto ok = CheckCveId(cve, "cves[]"); !ok) return ok.error().WithContext("--cve");
  LP_TRY(CheckSigningKeys(request));
  // A symbol file must parse (Debian's stub System.map is refused here).
  auto symbol_file = generate::ReadSymbolFile(options);
  if (!symbol_file) return symbol_file.error();
  return Ok();
}

// How a failure ends the command: one line on stderr, and with --json the
// same message as {"error": ...} on stdout.
struct Failure {
  Io io;
  bool json;
  int operator()(const Error& error, int code = kExitError) const {
    ReportError(io, "build", error);
    if (json) io.out << BuildErrorJson(error.message);
    return code;
  }
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int RunBuild(const Args& args, Io io) {
  const auto start = std::chrono::steady_clock::now();
  const std::string usage =
      "patchbuild build --target RELEASE --kernel-src SRC --patch FIX.patch --keys DIR -o OUTDIR "
      "[options]";
  po::options_description desc = BuildOptions();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    PrintUsage(args.empty() ? io.err : io.out, usage, desc);
    return args.empty() ? kExitError : kExitOk;
  }
  const Failure fail{io, std::find(args.begin(), args.end(), "--json") != args.end()};
  auto vm = ParseArgs(args, desc, po::positional_options_description());
  if (!vm) return fail(vm.error());
  auto name = ResolveModuleName(OptionalOpt(*vm, "name"), OptionalOpt(*vm, "patch-id"),
                                (*vm)["version"].as<std::uint64_t>());
  if (!name) return fail(name.error());
  auto scratch = ScratchDir::Create();
  if (!scratch) return fail(scratch.error());
  auto options = ToPipeline(*vm, scratch->path(), *name);
  if (!options) return fail(options.error());
  const fs::path out_dir = Opt(*vm, "output");
  if (auto ok = Preflight(*vm, *options, out_dir); !ok) return fail(ok.error());

  auto built = generate::BuildLivepatchFromPatches(*options);
  if (!built) {
    // The pipeline's documented codes: no changed function, or a change
    // livepatching cannot express (see patchbuild/generate/README.md).
    int code = built.error().code == ErrorCode::kNothingToDo   ? kExitNoChange
               : built.error().code == ErrorCode::kUnsupported ? kExitUnreconcilable
                                                                : kExitError;
    return fail(built.error(), code);
  }
  const auto sign_start = std::chrono::steady_clock::now();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail(MakeError(ErrorCode::kIo, out_dir.string() + ": " + ec.message()));
  fs::path bundle = out_dir / (*name + ".bundle");
  BundleRequest request = ToBundle(*vm, *name, built->module.ko, built->release, bundle);
  // The pipeline read the build id from the same vmlinuz already.
  request.vmlinuz.reset();
  request.build_id = built->build_id;
  request.arch = built->arch;
  for (const auto& object : built->patch.objects)
    for (const auto& f : object.replaced)
      request.functions.push_back(PatchedFunction{object.object_name, f.old_name, f.sympos});
  auto manifest = BuildBundle(request);
  if (!manifest) return fail(manifest.error());

  BuildReport report;
  report.bundle = bundle;
  report.patch_id = manifest->patch_id;
  report.version = manifest->version;
  report.release = manifest->target.release;
  report.build_id = manifest->target.build_id;
  report.stages = built->stages;
  report.stages.push_back(generate::StageTime{"sign", SecondsSince(sign_start)});
  report.total_seconds = SecondsSince(start);
  report.objects = ReportObjects(*built);
  report.proof = built->proof;
  if (vm->count("json"))
    io.out << BuildReportJson(report);
  else
    PrintBuildReport(io.out, report);
  return kExitOk;
}

}  // namespace lp::patchbuild::cli
