// The whole way from a source fix to an unsigned livepatch module, for one
// target, composed from the stages: PrepareTree -> CompileTwice ->
// (ExtractVmlinux, DecodeKallsyms, Module.symvers) -> GenerateLivepatchSource
// -> proof against the shipped kernel -> BuildLivepatchModule. `patchbuild
// build` adds signing and the bundle on top; tests and the example tool use it
// as is.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/patch_set.hpp"
#include "patchbuild/build/twin_compile.hpp"
#include "patchbuild/generate/generate.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::generate {

struct PipelineOptions {
  tree::TreeOptions tree;               // source, target release, cache dir, jobs
  tree::PatchSeries patches;            // parsed with tree::ParsePatch
  std::filesystem::path vmlinuz;        // default: /boot/vmlinuz-<release>
  std::filesystem::path modules_dir;    // default: /lib/modules/<release> (a target module's .ko, modules.dep)
  std::filesystem::path work_dir;       // objects/ and module/ go here
  std::filesystem::path skeleton_dir;   // kmod/skeleton
  std::string name;                     // module/patch name
  std::string description;
  bool replace = true;
  // The running kernel's symbol table, instead of decoding the vmlinuz's own
  // kallsyms: a /proc/kallsyms dump from a device (symbols::ParseKallsymsFile)
  // or a System.map (symbols::ParseSystemMap, e.g. from the -dbg package).
  // At most one. The vmlinuz is still read: its code is what the proof and the
  // sympos matching compare against, and its build id goes in the manifest.
  std::filesystem::path kallsyms;
  std::filesystem::path system_map;
};

// How long one stage took, for the summary, --json and the bench.
struct StageTime {
  std::string name;  // prepare, compile, symbols, generate, proof, module (cmd_build adds sign)
  double seconds = 0;
};

// The proof against the shipped kernel: every function the patch replaces,
// compiled from the tree as it was, matched the target's code. In vmlinux:
// instruction by instruction (symbols::CompareWithShipped, at the address
// kallsyms gives for its sympos). In a module: byte by byte against the
// same function of the module's shipped .ko (relocation-filled bytes of
// either side excused; the .ko is relocatable, so it has no addresses yet).
struct ShippedProof {
  size_t functions = 0;         // vmlinux functions proven
  size_t instructions = 0;      // instructions compared in them
  size_t module_functions = 0;  // module functions proven
  size_t module_bytes = 0;      // bytes compared in them
};

struct PipelineResult {
  tree::CompileResult compiled;  // the object pairs and compile timings
  GeneratedPatch patch;          // what was replaced, per object (+ each pair's diff)
  BuiltModule module;            // the finalized .ko (unsigned)
  std::string release;
  std::string build_id;  // of the vmlinux in the vmlinuz (what the manifest names)
  std::string arch;      // its ELF machine ("x86_64")
  std::filesystem::path tree_dir;  // the prepared tree's source dir (DWARF paths are made relative to it)
  std::vector<StageTime> stages;   // in the order they ran
  ShippedProof proof;
};

// Error codes: kNothingToDo when the patch leaves nothing to patch (no
// function changed, or only __init/__exit code); kUnsupported for a change a
// livepatch cannot carry; kVerification when the proof fails; any other code
// is a bad input or environment (a missing file, module or symbol).
Expected<PipelineResult> BuildLivepatchFromPatches(const PipelineOptions& options);

// options.kallsyms or options.system_map read and parsed (nothing when
// neither is given); an error when both are, or when the file does not parse
// (Debian's stub /boot/System.map). `patchbuild build` calls it before any
// compile, to fail early.
Expected<std::optional<symbols::SymbolTable>> ReadSymbolFile(const PipelineOptions& options);

// The running kernel's symbol table as the pipeline uses it: options.kallsyms
// (its vmlinux lines must be exactly image's kallsyms, in order; their
// addresses are taken from image, so a KASLR or non-root dump still locates
// code; module lines are kept), options.system_map, or else the kallsyms
// decoded from image.
Expected<symbols::SymbolTable> LoadTargetSymbols(const PipelineOptions& options, const symbols::VmlinuxImage& image);

}  // namespace lp::patchbuild::generate
