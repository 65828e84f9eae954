// The bundle: one ustar file carrying a patch and everything needed to trust it
// (`tar -tf x.bundle` lists it):
//   manifest.json, manifest.sig   the signed manifest (sig: raw Ed25519)
//   keys.json, keys.json.sig      the root-signed keys document naming the patch key
//   <module_file>                 the livepatch .ko (kernel-signed)
// Reading verifies everything before anything is returned as trusted.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/keys.hpp"
#include "common/manifest.hpp"

namespace lp {

inline constexpr std::size_t kMaxBundleBytes = 256u << 20;

struct BundleParts {
  std::string manifest_json;
  std::string manifest_sig;
  std::string keys_json;
  std::string keys_sig;
  std::string module_bytes;
  // Set by UnpackBundle to the module member's name; PackBundle ignores it and
  // names the member after the manifest's module_file.
  std::string module_file;
};

struct VerifiedBundle {
  BundleParts parts;
  Manifest manifest;
  KeysDocument keys;
};

// Packs parts into ustar bytes; the module member is named by the manifest's
// module_file (parsed from parts.manifest_json).
Expected<std::string> PackBundle(const BundleParts& parts);
Status WriteBundle(const std::filesystem::path& path, const BundleParts& parts);

// Unpacks without trusting anything (structure checks only: ustar checksums,
// sizes, exactly the expected members).
Expected<BundleParts> UnpackBundle(std::string_view bytes);

// Unpack + verify: keys document against root (and expiry at now), manifest
// signature against a patch key of that document, module sha256 and size.
// Every failure names what failed ("manifest signature", "module sha256" ...).
Expected<VerifiedBundle> VerifyBundle(std::string_view bytes, const Ed25519Key& root,
                                      std::time_t now);
Expected<VerifiedBundle> ReadBundle(const std::filesystem::path& path, const Ed25519Key& root,
                                    std::time_t now);

}  // namespace lp
