// Re-verifies a cached patch right before it is loaded: keys document against
// the device's root key, manifest signature against a patch key it names,
// and the sha256 and size of the bytes read from the very fd that will be
// handed to finit_module(2).
#pragma once

#include <ctime>
#include <string>

#include "common/crypto.hpp"
#include "common/manifest.hpp"
#include "common/raii.hpp"
#include "patchd/patch_cache.hpp"

namespace lp::patchd {

struct VerifiedPatch {
  Manifest manifest;
  UniqueFd module_fd;  // positioned at offset 0, ready for finit_module
};

// Verifies the metadata only (no module bytes needed yet).
Expected<Manifest> VerifyMetadata(const CachedMetadata& meta, const Ed25519Key& root, std::time_t now);

Expected<VerifiedPatch> VerifyCachedPatch(const PatchCache& cache, const std::string& sha256,
                                          const Ed25519Key& root, std::time_t now);

}  // namespace lp::patchd
