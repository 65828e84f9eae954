#include "patchbuild/generate/generate.hpp"

#include <optional>
#include <set>
#include <string_view>

#include "common/file_util.hpp"
#include "patchbuild/build/command.hpp"
#include "patchbuild/build/twin_compile.hpp"
#include "patchbuild/diff/diff.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/generate/klp_finalize.hpp"
#include "patchbuild/generate/module_sources.hpp"
#include "patchbuild/generate/object_planner.hpp"
#include "patchbuild/generate/object_writer.hpp"

namespace lp::patchbuild::generate {
namespace {

// [a-z_][a-z0-9_]{0,40}, checked by hand (no std::regex on user input).
bool IsPatchName(std::string_view name) {
  auto lower_or_underscore = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (name.empty() || name.size() > 41 || !lower_or_underscore(name.front())) return false;
  for (char c : name)
    if (!lower_or_underscore(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

Status CheckOptions(const std::vector<ObjectInput>& inputs, const TargetSymbols& target,
                    const GenerateOptions& options) {
  // The module name becomes /sys/kernel/livepatch/<name> and C identifiers.
  if (!IsPatchName(options.name))
    return MakeError(ErrorCode::kInvalidArgument,
                     "patch name '" + options.name + "' must be lower-case letters, digits and _ (at most 41)");
  if (inputs.empty()) return MakeError(ErrorCode::kInvalidArgument, "no object pair to generate from");
  if (!target.table) return MakeError(ErrorCode::kInvalidArgument, "no symbol table of the target kernel");
  if (options.build_dir.empty()) return MakeError(ErrorCode::kInvalidArgument, "no build directory");
  return Ok();
}

// One pair: diff, plan, write <name>_patch<N>.o_shipped. nullopt when the
// unit's code did not change at all: a unit compiled again only because it
// includes a changed header whose change it does not use.
Expected<std::optional<GeneratedObject>> GenerateObject(const ObjectInput& input, const TargetSymbols& target,
                                                        const std::filesystem::path& file) {
  auto original = elf::ObjectFile::Open(input.original);
  if (!original) return original.error();
  auto patched = elf::ObjectFile::Open(input.patched);
  if (!patched) return patched.error();
  auto diff = DiffObjects(**original, **patched);
  if (!diff) return diff.error();
  if (!diff->IsReconcilable()) {
    const Problem& p = diff->problems.front();
    return MakeError(ErrorCode::kUnsupported, p.symbol + ": " + p.reason);
  }
  if (!diff->HasChanges()) return std::optional<GeneratedObject>{};
  KernelSymbols kernel(*target.table, target.image, target.exported, input.object_name, original->get());
  auto plan = PlanObject(**patched, kernel);
  if (!plan) return plan.error();
  LP_TRY(WriteObject(*plan, file));
  return std::optional<GeneratedObject>{GeneratedObject{input.object_name, file, plan->replaced,
                                                        plan->new_functions, plan->KlpRelocCount(),
                                                        std::move(*diff), plan->callbacks}};
}

Status CheckUniqueNames(const GeneratedPatch& patch) {
  std::set<std::string> names;
  for (const GeneratedObject& o : patch.objects)
    for (const ReplacedFunction& f : o.replaced)
      if (!names.insert(f.new_name).second)
        return MakeError(ErrorCode::kUnsupported,
                         f.old_name + " is changed in two objects of the patch: not supported yet");
  return Ok();
}

}  // namespace

Expected<GeneratedPatch> GenerateLivepatchSource(const std::vector<ObjectInput>& inputs,
                                                 const TargetSymbols& target, const GenerateOptions& options) {
  LP_TRY(CheckOptions(inputs, target, options));
  LP_TRY(MakeDirs(options.build_dir));
  GeneratedPatch patch{options.name, std::filesystem::absolute(options.build_dir), {}};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto file = patch.build_dir / (options.name + "_patch" + std::to_string(i) + ".o_shipped");
    auto object = GenerateObject(inputs[i], target, file);
    if (!object) return object.error().WithContext("generating from " + inputs[i].patched.string());
    if (*object) patch.objects.push_back(std::move(**object));
  }
  // Every unit came out identical (e.g. a header change no unit uses).
  if (patch.objects.empty())
    return MakeError(ErrorCode::kNothingToDo, "the patch changes no function in any of the " +
                                                  std::to_string(inputs.size()) + " compiled units (nothing to patch)");
  LP_TRY(CheckUniqueNames(patch));
  LP_TRY(WriteModuleSources(patch, options));
  return patch;
}

Expected<BuiltModule> BuildLivepatchModule(const GeneratedPatch& patch, const std::filesystem::path& kdir) {
  if (!std::filesystem::exists(kdir / "Module.symvers"))
    return MakeError(ErrorCode::kNotFound, kdir.string() + ": not a kernel build dir (no Module.symvers)");
  auto spec = tree::BuildCommand(
      {"make", "-C", kdir.string(), "M=" + patch.build_dir.string(), "modules"});
  auto run = tree::RunCommand(spec);
  if (!run) return run.error();
  LP_TRY(WriteFileAtomic(patch.build_dir / "make.log", run->output));
  if (!run->ok()) {
    std::string first = tree::FirstBuildError(run->output);
    return MakeError(ErrorCode::kUnsupported, "building the livepatch module failed" +
                                                  (first.empty() ? std::string() : ": " + first) + " (see " +
                                                  (patch.build_dir / "make.log").string() + ")");
  }
  BuiltModule built{patch.build_dir / (patch.name + ".ko"), 0};
  auto finalized = FinalizeKlpRelocations(built.ko);
  if (!finalized) return finalized.error();
  built.klp_relocations = finalized->klp_relocations;
  return built;
}

}  // namespace lp::patchbuild::generate
