#include "eportal/blob_store.hpp"

#include "common/file_util.hpp"
#include "eportal/secrets.hpp"

namespace lp::eportal {

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Expected<std::string> BlobStore::Put(std::string_view bytes) {
  std::string sha = Sha256Of(bytes);
  std::lock_guard lock(mu_);
  if (cache_.count(sha)) return sha;
  LP_TRY(MakeDirs(dir_));
  std::error_code ec;
  if (!std::filesystem::exists(dir_ / sha, ec))
    LP_TRY(WriteFileAtomic(dir_ / sha, bytes, 0644));
  cache_[sha] = std::make_shared<const std::string>(bytes);
  return sha;
}

BlobPtr BlobStore::Get(const std::string& sha256) {
  if (!IsSha256Hex(sha256)) return nullptr;
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(sha256); it != cache_.end()) return it->second;
  auto data = ReadFile(dir_ / sha256, 512u << 20);
  if (!data || Sha256Of(*data) != sha256) return nullptr;
  auto blob = std::make_shared<const std::string>(std::move(*data));
  cache_[sha256] = blob;
  return blob;
}

}  // namespace lp::eportal
