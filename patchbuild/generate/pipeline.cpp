#include "patchbuild/generate/pipeline.hpp"

#include "common/identity.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"

namespace lp::patchbuild::generate {

Expected<PipelineResult> BuildLivepatchFromPatches(const PipelineOptions& options) {
  PipelineResult result;
  auto tree = tree::PrepareTree(options.tree);
  if (!tree) return tree.error();
  result.release = tree->target.release;
  auto compiled = tree::CompileTwice(*tree, options.patches, options.work_dir / "objects");
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
