// A minimal ustar (POSIX.1-1988 tar) writer and a strict reader, enough for
// bundles: regular files only, names under 100 bytes, no directories, links
// or extensions. GNU tar and bsdtar list and extract what this writes.
//
// The reader accepts only headers in exactly the form the writer produces
// (it re-encodes each parsed header and compares bytes), requires zero
// padding and zero end blocks, and nothing after them. Any flipped byte
// outside member data is therefore an error, which the bundle's tamper
// guarantee relies on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp::ustar {

inline constexpr std::size_t kBlockSize = 512;
inline constexpr std::size_t kMaxNameLength = 99;  // 100-byte field, NUL-terminated

struct Member {
  std::string name;
  std::string data;
  std::uint64_t mtime = 0;  // seconds since the epoch
};

// Fails (kInvalidArgument) for an empty, over-long or path-like name.
Expected<std::string> Pack(const std::vector<Member>& members);

// Fails (kParse) naming the member and what is wrong. At most max_members
// members; a member over max_member_size bytes is refused before copying.
Expected<std::vector<Member>> Unpack(std::string_view archive, std::size_t max_members,
                                     std::size_t max_member_size);

}  // namespace lp::ustar
