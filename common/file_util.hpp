// Whole-file reads and crash-safe writes. Every persistent write in the
// project goes through WriteFileAtomic so a kill -9 never leaves half a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/raii.hpp"

namespace lp {

using Bytes = std::vector<std::uint8_t>;

// Reads a whole file; refuses files larger than max_size (a guard against
// being fed /dev/zero or a huge upload).
Expected<std::string> ReadFile(const std::filesystem::path& path,
                               std::size_t max_size = 1u << 30);

// Reads everything from an open fd from its current offset.
Expected<std::string> ReadFd(int fd, std::size_t max_size = 1u << 30);

// Writes data to path.tmp.<pid>, fsyncs it, renames it over path and fsyncs
// the directory: after return the file is either old or new, never partial.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data,
                       unsigned mode = 0644);

// Opens path read-only with O_CLOEXEC.
Expected<UniqueFd> OpenReadOnly(const std::filesystem::path& path);

// Creates a directory and its parents (mode 0755 unless given).
Status MakeDirs(const std::filesystem::path& path);

}  // namespace lp
