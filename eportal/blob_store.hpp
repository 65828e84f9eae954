// Module files, content-addressed: data-dir/blobs/<sha256>, written with
// lp::WriteFileAtomic and served from an in-memory cache (Beast's file_body
// reads in 4 KB chunks; a patch module is ~100 KB, a fleet has few).
// Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lp::eportal {

using BlobPtr = std::shared_ptr<const std::string>;

// True for 64 lowercase hex characters (guards the path against traversal).
bool IsSha256Hex(std::string_view text);

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Stores bytes (idempotent) and returns their sha256.
  Expected<std::string> Put(std::string_view bytes);
  // nullptr when unknown. A file whose content no longer matches its name
  // (disk corruption, tampering) is treated as unknown, never served.
  BlobPtr Get(const std::string& sha256);

 private:
  std::filesystem::path dir_;
  std::mutex mu_;
  std::map<std::string, BlobPtr> cache_;
};

}  // namespace lp::eportal
