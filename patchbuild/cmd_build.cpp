// patchbuild build --target RELEASE --kernel-src SRC --patch FIX.patch [--patch ...]
//                  --keys DIR -o OUTDIR [options]
// The whole pipeline: prepare the target's tree, compile the touched units
// twice, generate and link the livepatch module (patchbuild/generate), then
// sign it and write OUTDIR/NAME.bundle. All intermediate files live in a
// scratch directory, so a failure leaves nothing half-written in OUTDIR.
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <ostream>

#include "patchbuild/build/patch_set.hpp"
#include "patchbuild/bundle_builder.hpp"
#include "patchbuild/cli_options.hpp"
#include "patchbuild/commands.hpp"
#include "patchbuild/generate/pipeline.hpp"

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
      ("name", po::value<std::string>()->default_value("lp_fix"),
       "module name, /sys/kernel/livepatch/NAME (a C identifier); give each version its own: during an "
       "atomic replace both modules are loaded")
      ("patch-id", po::value<std::string>(), "patch stream id shared by all versions (default: --name)")
      ("version", po::value<std::uint64_t>()->default_value(1), "version within the patch stream")
      ("cve", po::value<Strings>()->composing(), "CVE id fixed (repeatable)")
      ("description", po::value<std::string>()->default_value(""), "what the patch does")
      ("vmlinuz", po::value<std::string>(), "target kernel image (default /boot/vmlinuz-RELEASE)")
      ("cache-dir", po::value<std::string>(), "where prepared trees are cached")
      ("skeleton-dir", po::value<std::string>()->default_value(LP_SKELETON_DIR), "kmod/skeleton")
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

Expected<generate::PipelineOptions> ToPipeline(const po::variables_map& vm, const fs::path& work) {
  generate::PipelineOptions o;
  o.tree.source = vm["kernel-src"].as<std::string>();
  o.tree.target.release = vm["target"].as<std::string>();
  if (vm.count("cache-dir")) o.tree.cache_dir = vm["cache-dir"].as<std::string>();
  for (const auto& p : vm["patch"].as<Strings>()) {
    auto set = tree::ParsePatch(p);
    if (!set) return set.error();
    o.patches.push_back(std::move(*set));
  }
  if (vm.count("vmlinuz")) o.vmlinuz = vm["vmlinuz"].as<std::string>();
  o.work_dir = work;
  o.skeleton_dir = vm["skeleton-dir"].as<std::string>();
  o.name = vm["name"].as<std::string>();
  o.description = vm["description"].as<std::string>();
  return o;
}

BundleRequest ToBundle(const po::variables_map& vm, const generate::PipelineResult& built,
                       const fs::path& output) {
  BundleRequest r;
  r.module = built.module.ko;
  r.release = built.release;
  r.vmlinuz = vm.count("vmlinuz") ? fs::path(vm["vmlinuz"].as<std::string>())
                                  : fs::path("/boot/vmlinuz-" + built.release);
  r.keys_dir = vm["keys"].as<std::string>();
  r.patch_id = vm.count("patch-id") ? vm["patch-id"].as<std::string>() : vm["name"].as<std::string>();
  r.version = vm["version"].as<std::uint64_t>();
  for (const auto& object : built.patch.objects)
    for (const auto& f : object.replaced)
      r.functions.push_back(PatchedFunction{object.object_name, f.old_name, f.sympos});
  if (vm.count("cve")) r.cves = vm["cve"].as<Strings>();
  r.description = vm["description"].as<std::string>();
  r.output = output;
  r.now = std::time(nullptr);
  return r;
}

void PrintSummary(std::ostream& out, const generate::PipelineResult& built) {
  for (const auto& object : built.patch.objects) {
    for (const auto& f : object.replaced)
      out << "  replaced  " << object.object_name << ":" << f.old_name << " (sympos " << f.sympos
          << ")\n";
    for (const auto& f : object.new_functions)
      out << "  new       " << object.object_name << ":" << f << "\n";
  }
}

}  // namespace

int RunBuild(const Args& args, Io io) {
  const std::string usage =
      "patchbuild build --target RELEASE --kernel-src SRC --patch FIX.patch --keys DIR -o OUTDIR "
      "[options]";
  po::options_description desc = BuildOptions();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    PrintUsage(args.empty() ? io.err : io.out, usage, desc);
    return args.empty() ? kExitError : kExitOk;
  }
  auto vm = ParseArgs(args, desc, po::positional_options_description());
  if (!vm) return ReportError(io, "build", vm.error());
  auto scratch = ScratchDir::Create();
  if (!scratch) return ReportError(io, "build", scratch.error());
  auto options = ToPipeline(*vm, scratch->path());
  if (!options) return ReportError(io, "build", options.error());
  auto built = generate::BuildLivepatchFromPatches(*options);
  if (!built) {
    // The pipeline's documented codes: no changed function, or a change
    // livepatching cannot express (see patchbuild/generate/README.md).
    int code = built.error().code == ErrorCode::kNotFound      ? kExitNoChange
               : built.error().code == ErrorCode::kUnsupported ? kExitUnreconcilable
                                                                : kExitError;
    ReportError(io, "build", built.error());
    return code;
  }
  fs::path out_dir = (*vm)["output"].as<std::string>();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return ReportError(io, "build", MakeError(ErrorCode::kIo, out_dir.string() + ": " + ec.message()));
  fs::path bundle = out_dir / ((*vm)["name"].as<std::string>() + ".bundle");
  auto manifest = BuildBundle(ToBundle(*vm, *built, bundle));
  if (!manifest) return ReportError(io, "build", manifest.error());
  io.out << "wrote " << bundle.string() << ": " << manifest->patch_id << " version "
         << manifest->version << " for " << manifest->target.release << " (build id "
         << manifest->target.build_id << ")\n";
  PrintSummary(io.out, *built);
  return kExitOk;
}

}  // namespace lp::patchbuild::cli
