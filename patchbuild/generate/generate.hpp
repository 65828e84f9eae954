// The generate stage of `patchbuild build`: from object pairs (original,
// patched; compiled by patchbuild/build's CompileTwice) to a loadable
// livepatch module.
//
//   GenerateLivepatchSource  diff each pair, plan and write one relocatable
//                            object per pair (<name>_patch<N>.o_shipped, see
//                            object_plan.hpp for what goes in), and the
//                            kmod/ skeleton files around them (kmod/README.md)
//   BuildLivepatchModule     make -C KDIR M=<build dir> modules, then
//                            FinalizeKlpRelocations on the .ko
//
// Why the objects are written by hand instead of compiling generated C: the
// patched function must be exactly the code the diff compared (same
// compiler flags, same inlining) and its references to statics of the
// running kernel cannot be expressed in C at all. kbuild still links the
// module, so modpost, vermagic, MODVERSIONS CRCs and .modinfo come out as for
// any module built against the target headers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/diff/diff_result.hpp"
#include "patchbuild/generate/object_plan.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::generate {

struct ObjectInput {
  std::filesystem::path original;  // ObjectPair::original
  std::filesystem::path patched;   // ObjectPair::patched
  std::string object_name;         // klp object: "vmlinux" or the module (ObjectPair::object_name)
};

// The running kernel's symbols. Non-owning: both must outlive the call.
struct TargetSymbols {
  const symbols::SymbolTable* table = nullptr;   // DecodeKallsyms of the target's vmlinux (+ modules)
  const symbols::VmlinuxImage* image = nullptr;  // may be null: duplicated statics are then an error
  std::unordered_set<std::string> exported;      // ReadExportedSymbols(KDIR/Module.symvers)
};

struct GenerateOptions {
  std::string name;                    // module and patch name: a C identifier, e.g. "lp_cmdline_fix"
  std::filesystem::path build_dir;     // created if missing; gets the module sources
  std::filesystem::path skeleton_dir;  // kmod/skeleton (lp_skeleton.c, lp_skeleton.h)
  std::string description;             // MODULE_DESCRIPTION; may be empty
  bool replace = true;                 // klp_patch.replace (cumulative patch)
};

struct GeneratedObject {
  std::string object_name;
  std::filesystem::path file;  // <build_dir>/<name>_patch<N>.o_shipped
  std::vector<ReplacedFunction> replaced;
  std::vector<std::string> new_functions;
  size_t klp_relocations = 0;
  DiffResult diff;  // the pair's diff: every function with its status and source file:line (DWARF)
  std::vector<PlannedCallback> callbacks;  // FLEETPATCH_PRE_PATCH(fn) & co. of this unit
};

struct GeneratedPatch {
  std::string name;
  std::filesystem::path build_dir;
  std::vector<GeneratedObject> objects;
};

// Errors: a pair the diff cannot reconcile (a changed data initialiser ...),
// a pair with nothing to patch, an ambiguous running-kernel symbol, an
// unsupported construct. Each names the object file and the symbol.
Expected<GeneratedPatch> GenerateLivepatchSource(const std::vector<ObjectInput>& inputs,
                                                 const TargetSymbols& target, const GenerateOptions& options);

struct BuiltModule {
  std::filesystem::path ko;       // <build_dir>/<name>.ko, finalized, unsigned
  size_t klp_relocations = 0;
};

// Runs kbuild against kdir (the target's headers, /lib/modules/R/build) and
// finalizes the livepatch relocations. make's output: <build_dir>/make.log.
Expected<BuiltModule> BuildLivepatchModule(const GeneratedPatch& patch, const std::filesystem::path& kdir);

}  // namespace lp::patchbuild::generate
