// patchbuild_generate_example RELEASE PATCH NAME OUT.ko
//
// Test tool for the VM tests (tests/vm/tests/vm_patchbuild_*.sh) until
// `patchbuild build` is wired: the generate pipeline (pipeline.hpp) on the
// shared test tree cache, the finalized unsigned module copied to OUT.ko.
// Environment: LP_KERNEL_SOURCE (default /usr/src/linux-source-6.1.tar.xz),
// FLEETPATCH_TEST_CACHE (default /var/tmp/fleetpatch-test-cache).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "patchbuild/generate/pipeline.hpp"

namespace fs = std::filesystem;
namespace gen = lp::patchbuild::generate;

namespace {
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: " << argv[0] << " RELEASE PATCH NAME OUT.ko\n";
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
  std::error_code ec;
  fs::copy_file(result->module.ko, out, fs::copy_options::overwrite_existing, ec);
  if (ec) return std::cerr << "copying the module: " << ec.message() << "\n", 1;
  for (const auto& o : result->patch.objects)
    for (const auto& f : o.replaced)
      std::cout << "replaced " << o.object_name << ":" << f.old_name << "," << f.sympos << " by " << f.new_name << "\n";
  std::cout << "klp relocations: " << result->module.klp_relocations << "\nmodule: " << out.string() << "\n";
  return 0;
}
