// A kernel build tree prepared for one target and cached between builds.
//
// On disk, under the cache dir (see DefaultCacheDir):
//   <release>-<key>/            key = hash of the source's identity + the target's
//                               .config and .kernelvariables
//     lock                      flock()ed by whoever uses the tree (PreparedTree)
//     linux/                    the kernel tree kbuild runs in; kept pristine
//                               between builds (patches are applied only for the
//                               duration of a build, see patch_overlay.hpp)
//     prepared                  stamp, written last and atomically: a tree
//                               without it is half-made and is prepared again
//     overlay/                  journal + saved originals while a patch is applied
//     original-stamps/          what the last original-side make left, per unit
//                               (original_stamp.hpp: lets the next build skip it)
//     olddefconfig.log, prepare.log   make's output of the last preparation
//
// Preparation: unpack (tar, xz -T2) or copy the source, check its version
// against the target's, copy the target's .config and .kernelvariables (so
// plain `make` builds with CC=gcc-12 and UTS_RELEASE = the target release),
// `make olddefconfig`, check the config did not drift, `make prepare`.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/file_lock.hpp"
#include "patchbuild/build/kernel_version.hpp"
#include "patchbuild/build/stage_clock.hpp"
#include "patchbuild/build/target.hpp"

namespace lp::patchbuild::tree {

// The flags added to the target's own (through KCFLAGS, which the kernel's
// Makefile appends after its own KBUILD_CFLAGS): one section per function and
// per data object, so the diff stage can compare and take them one by one.
inline constexpr const char* kExtraCflags = "-ffunction-sections -fdata-sections";

struct TreeOptions {
  std::filesystem::path source;      // linux-source tarball (.tar.xz/.gz/.bz2/.zst/.tar) or a tree
  TargetOptions target;
  TargetRoots roots;                 // where ResolveTarget looks by default
  std::filesystem::path cache_dir;   // empty: DefaultCacheDir()
  std::string source_debian_version; // empty: asked from dpkg for a packaged tarball
  int jobs = 2;                      // make -j
};

// A prepared tree, locked for this object's lifetime: while it exists no other
// build (thread or process) uses or prepares the same tree; a second
// PrepareTree of the same tree, even in the same process, waits until this
// object is destroyed. Move-only. Not for concurrent use from two threads.
struct PreparedTree {
  Target target;
  std::filesystem::path dir;        // <cache>/<release>-<key>
  std::filesystem::path source_dir; // dir/linux
  KernelVersion source_version;
  bool reused = false;              // true when an earlier run had prepared it
  int jobs = 2;
  StageTimes times;
  FileLock lock;

  std::filesystem::path OverlayDir() const { return dir / "overlay"; }
  std::filesystem::path OriginalStampsDir() const { return dir / "original-stamps"; }
  // make -C <source_dir> -j<jobs> KCFLAGS="<kExtraCflags>[ -I<abs dir>...]" <goals...>
  // Every make in the tree should pass the same include_dirs: kbuild records
  // KCFLAGS and rebuilds prepare-time objects (asm-offsets.s, bounds.s) when
  // they change.
  std::vector<std::string> MakeArgv(const std::vector<std::string>& goals,
                                    const std::vector<std::filesystem::path>& include_dirs = {}) const;
};

// $FLEETPATCH_CACHE_DIR, else $XDG_CACHE_HOME/fleetpatch/trees, else
// $HOME/.cache/fleetpatch/trees.
std::filesystem::path DefaultCacheDir();

// Prepares the tree, or reuses it when a complete one is cached (after
// undoing a patch left applied by a build that died). Errors name the stage:
// "unpacking ...", "source tree is 6.1.X, target R was built from 6.1.Y",
// "config drifted after olddefconfig: CONFIG_...".
Expected<PreparedTree> PrepareTree(const TreeOptions& options);

}  // namespace lp::patchbuild::tree
