#include "patchbuild/build/kernel_tree.hpp"

#include <cstdlib>
#include <optional>
#include <sstream>

#include "common/file_util.hpp"
#include "patchbuild/build/patch_overlay.hpp"
#include "patchbuild/build/tree_steps.hpp"

namespace lp::patchbuild::tree {
namespace fs = std::filesystem;
namespace {

// Bumped when the layout or the preparation steps change, so old caches are
// not mistaken for new ones.
constexpr const char* kTreeFormat = "fleetpatch-tree 2";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

fs::path StampPath(const fs::path& dir) { return dir / "prepared"; }

Expected<std::string> CacheKey(const fs::path& source, const Target& target) {
  auto identity = SourceIdentity(source);
  if (!identity) return identity.error();
  auto config = ReadFile(target.config);
  if (!config) return config.error();
  auto variables = ReadFile(target.kernelvariables);
  if (!variables) return variables.error();
  std::string material = std::string(kTreeFormat) + "\n" + *identity + "\n" + Sha256Hex(*config) +
                         "\n" + Sha256Hex(*variables);
  return Sha256Hex(material).substr(0, 16);
}

Expected<KernelVersion> SourceVersion(const fs::path& tree_makefile, const TreeOptions& options) {
  auto version = ReadMakefileVersion(tree_makefile);
  if (!version) return version.error().WithContext("source tree version");
  std::error_code ec;
  version->debian = !options.source_debian_version.empty() ? options.source_debian_version
                    : fs::is_regular_file(options.source, ec) ? OwningPackageVersion(fs::absolute(options.source))
                                                              : "";
  return version;
}

// The stamp also remembers the source's Debian version, so reusing a tree
// costs no dpkg queries.
Status WriteStamp(const PreparedTree& t) {
  std::string text = std::string(kTreeFormat) + "\nrelease " + t.target.release + "\nsource_debian " +
                     t.source_version.debian + "\n";
  return WriteFileAtomic(StampPath(t.dir), text);
}

// Reads a stamp; nullopt when absent or from another format (prepare again).
std::optional<std::string> ReadStampDebianVersion(const fs::path& dir) {
  auto text = ReadFile(StampPath(dir), 1u << 16);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line, debian;
  if (!std::getline(in, line) || line != kTreeFormat) return std::nullopt;
  const std::string key = "source_debian ";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) debian = line.substr(key.size());
  return debian;
}

// Unpack, configure and prepare into t.source_dir (which does not exist yet).
Status Prepare(PreparedTree& t, const TreeOptions& options) {
  StageClock clock(t.times);
  std::error_code ec;
  if (fs::is_directory(options.source, ec)) {
    // Refuse a wrong directory before spending time copying it.
    auto version = SourceVersion(options.source / "Makefile", options);
    if (!version) return version.error();
    LP_TRY(CheckSameVersion(*version, t.target.version, t.target.release));
  }
  LP_TRY(MaterializeSource(options.source, t.source_dir));
  clock.Lap("unpack");
  auto version = SourceVersion(t.source_dir / "Makefile", options);
  if (!version) return version.error();
  t.source_version = *version;
  LP_TRY(CheckSameVersion(t.source_version, t.target.version, t.target.release));
  LP_TRY(ConfigureTree(t.source_dir, t.target, t.MakeArgv({"olddefconfig"}), t.dir));
  clock.Lap("configure");
  CommandSpec prepare = BuildCommand(t.MakeArgv({"prepare"}));
  auto made = RunChecked(prepare, "make prepare in " + t.source_dir.string(), t.dir / "prepare.log");
  if (!made) return made.error();
  clock.Lap("make-prepare");
  return WriteStamp(t);
}

Status RemoveTree(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "removing stale tree " + dir.string() + ": " + ec.message());
  return Ok();
}

}  // namespace

std::vector<std::string> PreparedTree::MakeArgv(const std::vector<std::string>& goals,
                                                const std::vector<fs::path>& include_dirs) const {
  std::string kcflags = std::string("KCFLAGS=") + kExtraCflags;
  for (const auto& include : include_dirs) kcflags += " -I" + fs::absolute(include).string();
  std::vector<std::string> argv = {"make", "-C", source_dir.string(), "-j" + std::to_string(jobs), kcflags};
  argv.insert(argv.end(), goals.begin(), goals.end());
  return argv;
}

fs::path DefaultCacheDir() {
  if (auto dir = Env("FLEETPATCH_CACHE_DIR"); !dir.empty()) return dir;
  if (auto xdg = Env("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "fleetpatch" / "trees";
  std::string home = Env("HOME");
  return fs::path(home.empty() ? "/tmp" : home) / ".cache" / "fleetpatch" / "trees";
}

Expected<PreparedTree> PrepareTree(const TreeOptions& options) {
  auto target = ResolveTarget(options.target, options.roots);
  if (!target) return target.error();
  auto key = CacheKey(options.source, *target);
  if (!key) return key.error().WithContext("kernel source");
  PreparedTree t;
  t.target = *target;
  t.jobs = options.jobs > 0 ? options.jobs : 1;
  fs::path cache = options.cache_dir.empty() ? DefaultCacheDir() : options.cache_dir;
  t.dir = fs::absolute(cache / (t.target.release + "-" + *key));
  t.source_dir = t.dir / "linux";
  LP_TRY(MakeDirs(t.dir));
  auto lock = FileLock::Acquire(t.dir / "lock");
  if (!lock) return lock.error();
  t.lock = std::move(*lock);

  if (auto debian = ReadStampDebianVersion(t.dir)) {
    auto recovered = RecoverInterruptedOverlay(t.source_dir, t.OverlayDir());
    if (!recovered) return recovered.error();
    auto version = ReadMakefileVersion(t.source_dir / "Makefile");
    if (!version) return version.error().WithContext("cached tree " + t.source_dir.string());
    t.source_version = *version;
    t.source_version.debian = *debian;
    LP_TRY(CheckSameVersion(t.source_version, t.target.version, t.target.release));
    t.reused = true;
    return t;
  }
  // No stamp: never prepared, or a preparation that died half-way. Start over.
  LP_TRY(RemoveTree(t.source_dir));
  LP_TRY(RemoveTree(t.OverlayDir()));
  if (auto st = Prepare(t, options); !st) {
    // A tree that failed a check (wrong version, drifted config) is useless; do
    // not leave 1.3 GB of it behind.
    (void)RemoveTree(t.source_dir);
    return st.error().WithContext("preparing " + t.target.release + " tree in " + t.dir.string());
  }
  return t;
}

}  // namespace lp::patchbuild::tree
