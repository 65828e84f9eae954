// Verified-patch cache under <state_dir>/cache, keyed by the module's sha256:
//   <sha>.ko, <sha>.manifest.json, <sha>.manifest.sig, <sha>.keys.json, <sha>.keys.sig
// Everything is written atomically; nothing here is trusted until
// VerifyCachedPatch (patch_verify.hpp) has checked it again.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/raii.hpp"

namespace lp::patchd {

struct CachedMetadata {
  std::string manifest_json;
  std::string manifest_sig;
  std::string keys_json;
  std::string keys_sig;
};

class PatchCache {
 public:
  explicit PatchCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Status StoreMetadata(const std::string& sha256, const CachedMetadata& meta) const;
  Expected<CachedMetadata> LoadMetadata(const std::string& sha256) const;
  Status StoreModule(const std::string& sha256, std::string_view bytes) const;
  bool HasModule(const std::string& sha256) const;
  Expected<UniqueFd> OpenModule(const std::string& sha256) const;
  // sha256 keys that have metadata (candidates for --apply-cached).
  std::vector<std::string> List() const;
  // Removes a module whose bytes failed verification (a truncated download).
  void Discard(const std::string& sha256) const;

  std::filesystem::path ModulePath(const std::string& sha256) const { return dir_ / (sha256 + ".ko"); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  // Only lowercase-hex names reach the filesystem: a hostile answer cannot
  // smuggle "../" into a cache path.
  static Status CheckKey(const std::string& sha256);
  std::filesystem::path dir_;
};

}  // namespace lp::patchd
