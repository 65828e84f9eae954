// The front of `patchbuild build`: compile every unit a patch touches twice,
// original and patched, in the prepared tree with the target's exact kbuild
// flags plus kExtraCflags, and hand the object pairs to the diff stage.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/patch_set.hpp"
#include "patchbuild/build/units.hpp"

namespace lp::patchbuild::tree {

// One touched unit's two objects. The files belong to the caller (they live
// in the out_dir given to CompileTwice and are never touched again here).
struct ObjectPair {
  TranslationUnit unit;
  std::filesystem::path original;  // <out_dir>/<dir>/<name>.orig.o
  std::filesystem::path patched;   // <out_dir>/<dir>/<name>.patched.o
  bool in_module = false;          // built into a loadable module (-DMODULE)
  // klp_object name: "vmlinux", or the module's KBUILD_MODNAME ("ext4").
  std::string object_name;
  std::string compile_command;     // kbuild's cmd_ line of the patched build
};

struct CompileOptions {
  // Units to compile in addition to those found from the patch (e.g. users
  // of a changed header that no earlier build compiled yet).
  std::vector<TranslationUnit> extra_units;
  // Added as -I to KCFLAGS on both sides, e.g. kmod/include so that a patch
  // can #include <fleetpatch/livepatch.h> (callbacks, shadow variables).
  std::vector<std::filesystem::path> include_dirs;
};

struct CompileResult {
  std::vector<ObjectPair> pairs;
  // patch-check, [build-header-users,] find-units, compile-orig, patch-apply,
  // compile-patched, restore
  StageTimes times;
};

// Runs, holding the tree's lock (through `tree`):
//   trial patch (CheckPatchApplies) -> [build a local header's unbuilt
//   neighbours, units.hpp] -> find units -> make <objs> (original; only the
//   units whose stamps do not prove them current, original_stamp.hpp) -> copy out ->
//   apply patch (PatchOverlay) -> make <objs> (patched) -> copy out -> restore.
// All units of one side build in one make -j<jobs> invocation. The two sides
// cannot share one: both are the same kbuild target, and building the patched
// file under another name would change KBUILD_BASENAME/KBUILD_MODNAME and the
// module membership, i.e. the flags that must stay exact.
// Make's output is kept in <out_dir>/make-orig.log (or why make was not
// run) and make-patched.log.
// On every return the tree is as before (files, mtimes, objects); a process
// killed in between is repaired by the next PrepareTree.
Expected<CompileResult> CompileTwice(const PreparedTree& tree, const PatchSeries& patches,
                                     const std::filesystem::path& out_dir,
                                     const CompileOptions& options = {});

// The common case of one patch.
inline Expected<CompileResult> CompileTwice(const PreparedTree& tree, const PatchSet& patch,
                                            const std::filesystem::path& out_dir,
                                            const CompileOptions& options = {}) {
  return CompileTwice(tree, PatchSeries{patch}, out_dir, options);
}

// The first compiler diagnostic ("fs/proc/cmdline.c:9:2: error: ...") or
// kbuild complaint in make's output; empty when there is none.
std::string FirstBuildError(const std::string& make_output);

}  // namespace lp::patchbuild::tree
