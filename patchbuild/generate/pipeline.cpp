#include "patchbuild/generate/pipeline.hpp"

#include <algorithm>
#include <sstream>

#include "common/file_util.hpp"
#include "common/identity.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"
#include "patchbuild/symbols/module_symbols.hpp"

namespace lp::patchbuild::generate {
namespace {

// The target module's .ko as modules.dep names it ("kernel/fs/nls/nls_utf8.ko:
// ..."); kbuild's KBUILD_MODNAME has '_' where the file name may have '-'.
Expected<std::filesystem::path> FindModuleFile(const std::filesystem::path& moddir, const std::string& name) {
  auto dep = ReadFile(moddir / "modules.dep");
  if (!dep) return dep.error().WithContext("finding module " + name);
  std::istringstream in(*dep);
  std::string line;
  while (std::getline(in, line)) {
    const std::string path = line.substr(0, line.find(':'));
    std::string base = std::filesystem::path(path).filename().string();
    base = base.substr(0, base.find(".ko"));
    std::replace(base.begin(), base.end(), '-', '_');
    if (base == name) return moddir / path;
  }
  return MakeError(ErrorCode::kNotFound, "module " + name + " is not in " + (moddir / "modules.dep").string());
}

// A livepatch for a module object counts sympos among that module's own
// symbols (klp_find_object_symbol walks the module's kallsyms), so they join
// the table under the module's name.
Status AddModuleSymbols(symbols::SymbolTable& table, const std::filesystem::path& moddir, const std::string& name) {
  for (const auto& s : table.symbols())
    if (s.object == name) return Ok();  // a second unit of the same module
  auto file = FindModuleFile(moddir, name);
  if (!file) return file.error();
  auto bytes = ReadFile(*file);
  if (!bytes) return bytes.error();
  auto module = symbols::ReadModuleSymbols(*bytes, name);
  if (!module) return module.error().WithContext(file->string());
  for (const auto& s : module->symbols()) table.Add(s);
  return Ok();
}

}  // namespace

Expected<PipelineResult> BuildLivepatchFromPatches(const PipelineOptions& options) {
  PipelineResult result;
  auto tree = tree::PrepareTree(options.tree);
  if (!tree) return tree.error();
  result.release = tree->target.release;
  // A patch may #include <fleetpatch/livepatch.h>: kmod/include, next to kmod/skeleton.
  tree::CompileOptions compile_options;
  compile_options.include_dirs.push_back((options.skeleton_dir / "..").lexically_normal() / "include");
  auto compiled = tree::CompileTwice(*tree, options.patches, options.work_dir / "objects", compile_options);
  if (!compiled) return compiled.error();
  result.compiled = std::move(*compiled);

  const auto vmlinuz =
      options.vmlinuz.empty() ? std::filesystem::path("/boot/vmlinuz-" + result.release) : options.vmlinuz;
  auto vmlinux = ExtractVmlinux(vmlinuz);
  if (!vmlinux) return vmlinux.error().WithContext("reading the target's symbols from " + vmlinuz.string());
  auto image = symbols::VmlinuxImage::Open(*vmlinux);
  if (!image) return image.error().WithContext(vmlinuz.string());
  auto table = symbols::DecodeKallsyms(*image);
  if (!table) return table.error().WithContext(vmlinuz.string());
  const auto moddir = options.modules_dir.empty() ? std::filesystem::path("/lib/modules/" + result.release)
                                                  : options.modules_dir;
  for (const auto& p : result.compiled.pairs)
    if (p.in_module) LP_TRY(AddModuleSymbols(*table, moddir, p.object_name));
  const auto kdir = tree->target.headers_dir;
  auto exported = ReadExportedSymbols(kdir / "Module.symvers");
  if (!exported) return exported.error();

  std::vector<ObjectInput> inputs;
  for (const auto& p : result.compiled.pairs) inputs.push_back(ObjectInput{p.original, p.patched, p.object_name});
  GenerateOptions gen{options.name, options.work_dir / "module", options.skeleton_dir, options.description,
                      options.replace};
  auto patch = GenerateLivepatchSource(inputs, TargetSymbols{&*table, &*image, std::move(*exported)}, gen);
  if (!patch) return patch.error();
  result.patch = std::move(*patch);
  auto module = BuildLivepatchModule(result.patch, kdir);
  if (!module) return module.error();
  result.module = std::move(*module);
  return result;
}

}  // namespace lp::patchbuild::generate
