#include "patchd/patch_verify.hpp"

#include <unistd.h>

#include "common/file_util.hpp"
#include "common/keys.hpp"

namespace lp::patchd {

Expected<VerifiedMetadata> VerifyMetadata(const CachedMetadata& meta, const Ed25519Key& root, std::time_t now,
                                          std::uint64_t min_keys_version) {
  auto keys = VerifyKeysDocument(meta.keys_json, meta.keys_sig, root, now);
  if (!keys) return keys.error().WithContext("keys document");
  LP_TRY(CheckKeysDocumentVersion(keys->version, min_keys_version));
  const std::uint64_t version = keys->version;
  TrustStore trust(std::move(*keys));
  auto manifest = trust.VerifyManifest(meta.manifest_json, meta.manifest_sig);
  if (!manifest) return manifest.error().WithContext("manifest");
  return VerifiedMetadata{std::move(*manifest), version};
}

Expected<VerifiedPatch> VerifyCachedPatch(const PatchCache& cache, const std::string& sha256,
                                          const Ed25519Key& root, std::time_t now, std::uint64_t min_keys_version) {
  auto meta = cache.LoadMetadata(sha256);
  if (!meta) return meta.error();
  auto verified = VerifyMetadata(*meta, root, now, min_keys_version);
  if (!verified) return verified.error();
  const Manifest* manifest = &verified->manifest;
  if (manifest->module_sha256 != sha256)
    return MakeError(ErrorCode::kVerification, "manifest names module " + manifest->module_sha256 +
                                                   ", cache entry is " + sha256);
  auto fd = cache.OpenModule(sha256);
  if (!fd) return fd.error();
  auto bytes = ReadFd(fd->get(), manifest->module_size + 1);
  if (!bytes) return bytes.error().WithContext("module size");
  if (bytes->size() != manifest->module_size)
    return MakeError(ErrorCode::kVerification, "module size " + std::to_string(bytes->size()) +
                                                   " != manifest " + std::to_string(manifest->module_size));
  if (Sha256Hex(*bytes) != manifest->module_sha256)
    return MakeError(ErrorCode::kVerification, "module sha256 does not match the manifest");
  if (::lseek(fd->get(), 0, SEEK_SET) != 0)
    return MakeError(ErrorCode::kIo, "rewinding the module fd");
  return VerifiedPatch{std::move(verified->manifest), verified->keys_version, std::move(*fd)};
}

}  // namespace lp::patchd
