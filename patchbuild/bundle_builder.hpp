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
  std::optional<std::filesystem::path> module_key;   // default: keys_dir/module.key
  std::optional<std::filesystem::path> module_cert;  // default: keys_dir/module.crt
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

// The signing inputs alone, without a module: the patch key is one that
// keys.json lets sign patches, keys.json.sig verifies with the directory's
// root.pub, keys.json has not expired, and the module key matches its
// certificate. `patchbuild build` runs this before compiling anything.
Status CheckSigningKeys(const BundleRequest& request);

// Checks everything first, then writes the bundle atomically: on any error
// no output file exists (or the previous one is untouched).
Expected<Manifest> BuildBundle(const BundleRequest& request);

}  // namespace lp::patchbuild
