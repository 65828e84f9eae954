// The whole way from a source fix to an unsigned livepatch module, for one
// target, composed from the stages: PrepareTree -> CompileTwice ->
// (ExtractVmlinux, DecodeKallsyms, Module.symvers) -> GenerateLivepatchSource
// -> BuildLivepatchModule. `patchbuild build` adds signing and the bundle on
// top; tests and the example tool use it as is.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/patch_set.hpp"
#include "patchbuild/build/twin_compile.hpp"
#include "patchbuild/generate/generate.hpp"

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
};

struct PipelineResult {
  tree::CompileResult compiled;  // the object pairs and compile timings
  GeneratedPatch patch;          // what was replaced, per object
  BuiltModule module;            // the finalized .ko (unsigned)
  std::string release;
};

Expected<PipelineResult> BuildLivepatchFromPatches(const PipelineOptions& options);

}  // namespace lp::patchbuild::generate
