// patchbuild_generate_example RELEASE PATCH NAME OUT.ko
// patchbuild_generate_example --pair RELEASE ORIG.o PATCHED.o TARGET.ko NAME OUT.ko
//
// The second form generates from an object pair built outside the kernel
// tree (an external module such as kmod/testmod, built twice with
// KCFLAGS="-ffunction-sections -fdata-sections"); TARGET.ko is that
// module as it will be loaded (its symbols give the sympos).
//
// Test tool for the VM tests (tests/vm/tests/vm_patchbuild_*.sh) until
// `patchbuild build` is wired: the generate pipeline (pipeline.hpp) on the
// shared test tree cache, the finalized unsigned module copied to OUT.ko.
// Environment: LP_KERNEL_SOURCE (default /usr/src/linux-source-6.1.tar.xz),
// FLEETPATCH_TEST_CACHE (default /var/tmp/fleetpatch-test-cache).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/file_util.hpp"
#include "common/identity.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/generate/pipeline.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"
#include "patchbuild/symbols/module_symbols.hpp"

namespace fs = std::filesystem;
namespace gen = lp::patchbuild::generate;

namespace {
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
void PrintReplaced(const gen::GeneratedPatch& patch, size_t klp, const fs::path& out) {
  for (const auto& o : patch.objects)
    for (const auto& f : o.replaced)
      std::cout << "replaced " << o.object_name << ":" << f.old_name << "," << f.sympos << " by " << f.new_name << "\n";
  std::cout << "klp relocations: " << klp << "\nmodule: " << out.string() << "\n";
}

lp::Status CopyOut(const fs::path& ko, const fs::path& out) {
  std::error_code ec;
  fs::copy_file(ko, out, fs::copy_options::overwrite_existing, ec);
  if (ec) return lp::MakeError(lp::ErrorCode::kIo, "copying the module: " + ec.message());
  return lp::Ok();
}

// --pair RELEASE ORIG.o PATCHED.o TARGET.ko NAME OUT.ko
int FromPair(char** argv) {
  const std::string release = argv[2], name = argv[6];
  const fs::path target_ko = argv[5], out = fs::absolute(argv[7]);
  const std::string object = target_ko.stem().string();
  auto vmlinux = lp::ExtractVmlinux("/boot/vmlinuz-" + release);
  if (!vmlinux) return std::cerr << vmlinux.error().message << "\n", 1;
  auto image = lp::patchbuild::symbols::VmlinuxImage::Open(*vmlinux);
  if (!image) return std::cerr << image.error().message << "\n", 1;
  auto table = lp::patchbuild::symbols::DecodeKallsyms(*image);
  auto ko_bytes = lp::ReadFile(target_ko);
  if (!table || !ko_bytes) return std::cerr << "reading symbols failed\n", 1;
  auto module = lp::patchbuild::symbols::ReadModuleSymbols(*ko_bytes, object);
  if (!module) return std::cerr << module.error().message << "\n", 1;
  for (const auto& s : module->symbols()) table->Add(s);
  const fs::path kdir = "/lib/modules/" + release + "/build";
  auto exported = gen::ReadExportedSymbols(kdir / "Module.symvers");
  if (!exported) return std::cerr << exported.error().message << "\n", 1;
  gen::GenerateOptions options{name, out.parent_path() / (name + ".work"), fs::path(LP_SOURCE_DIR) / "kmod/skeleton",
                               "fleetpatch generated for " + object, true};
  auto patch = gen::GenerateLivepatchSource({{argv[3], argv[4], object}},
                                            gen::TargetSymbols{&*table, &*image, std::move(*exported)}, options);
  if (!patch) return std::cerr << "patchbuild_generate_example: " << patch.error().message << "\n", 1;
  auto built = gen::BuildLivepatchModule(*patch, kdir);
  if (!built) return std::cerr << "patchbuild_generate_example: " << built.error().message << "\n", 1;
  if (auto copied = CopyOut(built->ko, out); !copied) return std::cerr << copied.error().message << "\n", 1;
  PrintReplaced(*patch, built->klp_relocations, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 8 && std::string(argv[1]) == "--pair") return FromPair(argv);
  if (argc != 5) {
    std::cerr << "usage: " << argv[0] << " RELEASE PATCH NAME OUT.ko\n"
              << "       " << argv[0] << " --pair RELEASE ORIG.o PATCHED.o TARGET.ko NAME OUT.ko\n";
    return 2;
  }
  gen::PipelineOptions options;
  options.tree.source = EnvOr("LP_KERNEL_SOURCE", "/usr/src/linux-source-6.1.tar.xz");
  options.tree.target.release = argv[1];
  options.tree.cache_dir = EnvOr("FLEETPATCH_TEST_CACHE", "/var/tmp/fleetpatch-test-cache");
  auto patch = lp::patchbuild::tree::ParsePatch(argv[2]);
  if (!patch) return std::cerr << patch.error().message << "\n", 1;
  options.patches = {*patch};
  const fs::path out = fs::absolute(argv[4]);
  options.work_dir = out.parent_path() / (std::string(argv[3]) + ".work");
  options.skeleton_dir = fs::path(LP_SOURCE_DIR) / "kmod/skeleton";
  options.name = argv[3];
  options.description = "fleetpatch generated from " + fs::path(argv[2]).filename().string();
  auto result = gen::BuildLivepatchFromPatches(options);
  if (!result) return std::cerr << "patchbuild_generate_example: " << result.error().message << "\n", 1;
  if (auto copied = CopyOut(result->module.ko, out); !copied) return std::cerr << copied.error().message << "\n", 1;
  PrintReplaced(result->patch, result->module.klp_relocations, out);
  return 0;
}
