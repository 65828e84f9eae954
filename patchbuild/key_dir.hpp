// The key directory `patchbuild keys init DIR` creates and `patchbuild
// bundle --keys DIR` reads. File names are part of the CLI contract:
//   root.key root.pub       offline root (signs keys.json); move root.key
//                           off the build machine after init
//   patch.key patch.pub     signs manifests
//   portal.key portal.pub   the portal's online key
//   module.key module.crt   kernel module signing (RSA + X.509)
//   keys.json keys.json.sig the root-signed keys document
#pragma once

#include <ctime>
#include <filesystem>

#include "common/error.hpp"

namespace lp::patchbuild::key_dir {

inline constexpr const char* kRootKey = "root.key";
inline constexpr const char* kRootPub = "root.pub";
inline constexpr const char* kPatchKey = "patch.key";
inline constexpr const char* kPatchPub = "patch.pub";
inline constexpr const char* kPortalKey = "portal.key";
inline constexpr const char* kPortalPub = "portal.pub";
inline constexpr const char* kModuleKey = "module.key";
inline constexpr const char* kModuleCert = "module.crt";
inline constexpr const char* kKeysJson = "keys.json";
inline constexpr const char* kKeysSig = "keys.json.sig";

// Generates every key in memory, then writes them (private keys 0600, the
// directory 0700). Refuses (kConflict) an existing non-empty directory.
Status Init(const std::filesystem::path& dir, long expires_days, std::time_t now);

}  // namespace lp::patchbuild::key_dir
