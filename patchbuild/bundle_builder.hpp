// `patchbuild bundle`: sign an existing livepatch module for one kernel build
// and pack it with its signed manifest and the keys document into a bundle.
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/manifest.hpp"

namespace lp::patchbuild {

struct BundleRequest {
  std::filesystem::path module;              // the .ko to ship
  std::string release;                       // target uname -r
  std::optional<std::filesystem::path> vmlinuz;  // build id from here ...
  std::string build_id;                      // ... or given directly (hex)
  std::string arch = "x86_64";
  std::filesystem::path keys_dir;            // made by `patchbuild keys init`
  std::string patch_id;                      // default: the module name
  std::uint64_t version = 1;
  std::vector<PatchedFunction> functions;
  std::vector<std::string> cves;
  std::string description;
  bool sign_module = true;                   // append the kernel module signature
  std::filesystem::path output;
  std::time_t now = 0;
};

// "OBJ:NAME" or "OBJ:NAME,SYMPOS" (e.g. "vmlinux:c_start,2").
Expected<PatchedFunction> ParseFunctionSpec(const std::string& spec);

// Checks everything first, then writes the bundle atomically: on any error
// no output file exists (or the previous one is untouched).
Expected<Manifest> BuildBundle(const BundleRequest& request);

}  // namespace lp::patchbuild
