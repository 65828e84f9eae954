#include "patchd/patch_cache.hpp"

#include <algorithm>

#include "common/file_util.hpp"

namespace lp::patchd {
namespace fs = std::filesystem;

Status PatchCache::CheckKey(const std::string& sha256) {
  bool hex = sha256.size() == 64 && std::all_of(sha256.begin(), sha256.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (!hex) return MakeError(ErrorCode::kInvalidArgument, "not a sha256: " + sha256.substr(0, 80));
  return Ok();
}

Status PatchCache::StoreMetadata(const std::string& sha256, const CachedMetadata& meta) const {
  LP_TRY(CheckKey(sha256));
  LP_TRY(MakeDirs(dir_));
  LP_TRY(WriteFileAtomic(dir_ / (sha256 + ".keys.json"), meta.keys_json));
  LP_TRY(WriteFileAtomic(dir_ / (sha256 + ".keys.sig"), meta.keys_sig));
  LP_TRY(WriteFileAtomic(dir_ / (sha256 + ".manifest.sig"), meta.manifest_sig));
  // The manifest goes last: List() keys on it, so a crash before this point
  // leaves no half entry behind.
  return WriteFileAtomic(dir_ / (sha256 + ".manifest.json"), meta.manifest_json);
}

Expected<CachedMetadata> PatchCache::LoadMetadata(const std::string& sha256) const {
  LP_TRY(CheckKey(sha256));
  CachedMetadata m;
  const std::pair<const char*, std::string*> parts[] = {{".manifest.json", &m.manifest_json},
                                                        {".manifest.sig", &m.manifest_sig},
                                                        {".keys.json", &m.keys_json},
                                                        {".keys.sig", &m.keys_sig}};
  for (const auto& [suffix, out] : parts) {
    auto text = ReadFile(dir_ / (sha256 + suffix), 4u << 20);
    if (!text) return text.error().WithContext("patch cache");
    *out = std::move(*text);
  }
  return m;
}

Status PatchCache::StoreModule(const std::string& sha256, std::string_view bytes) const {
  LP_TRY(CheckKey(sha256));
  LP_TRY(MakeDirs(dir_));
  return WriteFileAtomic(ModulePath(sha256), bytes, 0600);
}

bool PatchCache::HasModule(const std::string& sha256) const {
  std::error_code ec;
  return CheckKey(sha256) && fs::exists(ModulePath(sha256), ec);
}

Expected<UniqueFd> PatchCache::OpenModule(const std::string& sha256) const {
  LP_TRY(CheckKey(sha256));
  return OpenReadOnly(ModulePath(sha256));
}

std::vector<std::string> PatchCache::List() const {
  std::vector<std::string> out;
  std::error_code ec;
  const std::string suffix = ".manifest.json";
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      std::string key = name.substr(0, name.size() - suffix.size());
      if (CheckKey(key)) out.push_back(key);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void PatchCache::Discard(const std::string& sha256) const {
  std::error_code ec;
  if (CheckKey(sha256)) fs::remove(ModulePath(sha256), ec);
}

}  // namespace lp::patchd
