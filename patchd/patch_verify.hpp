// Re-verifies a cached patch right before it is loaded: keys document against
// the device's root key, manifest signature against a patch key it names,
// and the sha256 and size of the bytes read from the very fd that will be
// handed to finit_module(2).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

#include "common/crypto.hpp"
#include "common/manifest.hpp"
#include "common/raii.hpp"
#include "patchd/patch_cache.hpp"

namespace lp::patchd {

struct VerifiedMetadata {
  Manifest manifest;
  std::uint64_t keys_version = 0;  // of the keys document that vouched for it
};

struct VerifiedPatch {
  Manifest manifest;
  std::uint64_t keys_version = 0;
  UniqueFd module_fd;  // positioned at offset 0, ready for finit_module
};

// Verifies the metadata only (no module bytes needed yet). A keys document
// older than min_keys_version (the newest this device accepted) is refused:
// keys documents never go backwards on a device.
Expected<VerifiedMetadata> VerifyMetadata(const CachedMetadata& meta, const Ed25519Key& root, std::time_t now,
                                          std::uint64_t min_keys_version);

Expected<VerifiedPatch> VerifyCachedPatch(const PatchCache& cache, const std::string& sha256,
                                          const Ed25519Key& root, std::time_t now, std::uint64_t min_keys_version);

}  // namespace lp::patchd
