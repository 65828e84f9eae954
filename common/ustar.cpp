#include "common/ustar.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace lp::ustar {
namespace {

// Field offsets and widths of the 512-byte ustar header.
struct Field {
  std::size_t offset, width;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12},
    kMtime{136, 12}, kChksum{148, 8}, kTypeflag{156, 1}, kMagic{257, 6}, kVersion{263, 2},
    kUname{265, 32}, kGname{297, 32}, kDevMajor{329, 8}, kDevMinor{337, 8};

constexpr std::uint64_t kMaxOctal11 = 077777777777ull;  // 11 octal digits: < 8 GiB
constexpr char kRegularFile = '0';

using Block = std::array<char, kBlockSize>;

void PutString(Block& h, Field f, std::string_view s) {
  std::memcpy(h.data() + f.offset, s.data(), std::min(s.size(), f.width));
}

// Zero-padded octal in width-1 digits plus a NUL, as GNU tar writes it.
void PutOctal(Block& h, Field f, std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(f.width - 1),
                static_cast<unsigned long long>(v));
  std::memcpy(h.data() + f.offset, buf, f.width - 1);
  h[f.offset + f.width - 1] = '\0';
}

// Sum of all header bytes with the checksum field counted as spaces.
std::uint64_t Checksum(const Block& h) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlockSize; ++i) {
    bool in_chksum = i >= kChksum.offset && i < kChksum.offset + kChksum.width;
    sum += in_chksum ? ' ' : static_cast<unsigned char>(h[i]);
  }
  return sum;
}

Block MakeHeader(const std::string& name, std::uint64_t size, std::uint64_t mtime) {
  Block h{};
  PutString(h, kName, name);
  PutOctal(h, kMode, 0644);
  PutOctal(h, kUid, 0);
  PutOctal(h, kGid, 0);
  PutOctal(h, kSize, size);
  PutOctal(h, kMtime, mtime);
  h[kTypeflag.offset] = kRegularFile;
  PutString(h, kMagic, std::string_view("ustar\0", 6));
  PutString(h, kVersion, "00");
  PutString(h, kUname, "root");
  PutString(h, kGname, "root");
  PutOctal(h, kDevMajor, 0);
  PutOctal(h, kDevMinor, 0);
  // Checksum: six octal digits, NUL, space (the traditional layout).
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06llo", static_cast<unsigned long long>(Checksum(h)));
  std::memcpy(h.data() + kChksum.offset, buf, 6);
  h[kChksum.offset + 6] = '\0';
  h[kChksum.offset + 7] = ' ';
  return h;
}

Status CheckName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && name != "." && name != ".." &&
            name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
  if (!ok) return MakeError(ErrorCode::kInvalidArgument, "bad archive member name '" + name + "'");
  return Ok();
}

std::size_t Padding(std::size_t size) { return (kBlockSize - size % kBlockSize) % kBlockSize; }

// Octal digits up to the first NUL or space; false on anything else.
bool ParseOctal(std::string_view field, std::uint64_t* out) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v > (UINT64_MAX >> 3)) return false;
    v = v << 3 | static_cast<std::uint64_t>(field[i] - '0');
  }
  if (i == 0 || (i < field.size() && field[i] != '\0' && field[i] != ' ')) return false;
  *out = v;
  return true;
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

std::string_view FieldOf(std::string_view header, Field f) {
  return header.substr(f.offset, f.width);
}

Error MemberError(std::size_t index, const std::string& name, const std::string& problem) {
  std::string who = "archive member " + std::to_string(index + 1);
  if (!name.empty()) who += " (" + name + ")";
  return MakeError(ErrorCode::kParse, who + ": " + problem);
}

struct Parsed {
  std::string name;
  std::uint64_t size = 0;
  std::uint64_t mtime = 0;
};

Expected<Parsed> ParseHeader(std::string_view header, std::size_t index) {
  std::uint64_t stored_sum = 0;
  if (!ParseOctal(FieldOf(header, kChksum), &stored_sum))
    return MemberError(index, "", "unreadable header checksum");
  Block block{};
  std::memcpy(block.data(), header.data(), kBlockSize);
  if (stored_sum != Checksum(block)) return MemberError(index, "", "header checksum mismatch");
  Parsed p;
  std::string_view name_field = FieldOf(header, kName);
  p.name = std::string(name_field.substr(0, name_field.find('\0')));
  if (!ParseOctal(FieldOf(header, kSize), &p.size) ||
      !ParseOctal(FieldOf(header, kMtime), &p.mtime) || p.size > kMaxOctal11 ||
      p.mtime > kMaxOctal11)
    return MemberError(index, p.name, "unreadable size or mtime");
  if (auto st = CheckName(p.name); !st) return MemberError(index, p.name, "bad member name");
  Block canonical = MakeHeader(p.name, p.size, p.mtime);
  if (std::memcmp(canonical.data(), header.data(), kBlockSize) != 0)
    return MemberError(index, p.name, "not a regular-file header in the expected form");
  return p;
}

}  // namespace

Expected<std::string> Pack(const std::vector<Member>& members) {
  std::string out;
  for (const auto& m : members) {
    LP_TRY(CheckName(m.name));
    if (m.data.size() > kMaxOctal11 || m.mtime > kMaxOctal11)
      return MakeError(ErrorCode::kInvalidArgument, "archive member " + m.name + " is too large");
    Block h = MakeHeader(m.name, m.data.size(), m.mtime);
    out.append(h.data(), h.size());
    out += m.data;
    out.append(Padding(m.data.size()), '\0');
  }
  out.append(2 * kBlockSize, '\0');  // end-of-archive marker
  return out;
}

Expected<std::vector<Member>> Unpack(std::string_view archive, std::size_t max_members,
                                     std::size_t max_member_size) {
  if (archive.size() % kBlockSize != 0)
    return MakeError(ErrorCode::kParse, "archive size is not a multiple of 512 (truncated?)");
  std::vector<Member> members;
  std::size_t pos = 0;
  while (pos + kBlockSize <= archive.size()) {
    std::string_view header = archive.substr(pos, kBlockSize);
    if (AllZero(header)) break;
    std::size_t index = members.size();
    if (index >= max_members)
      return MakeError(ErrorCode::kParse, "more than " + std::to_string(max_members) + " members");
    auto p = ParseHeader(header, index);
    if (!p) return p.error();
    if (p->size > max_member_size)
      return MemberError(index, p->name, "size " + std::to_string(p->size) + " over the limit of " +
                                             std::to_string(max_member_size));
    pos += kBlockSize;
    std::size_t padded = p->size + Padding(p->size);
    if (padded > archive.size() - pos) return MemberError(index, p->name, "truncated data");
    if (!AllZero(archive.substr(pos + p->size, padded - p->size)))
      return MemberError(index, p->name, "non-zero padding after the data");
    members.push_back(Member{p->name, std::string(archive.substr(pos, p->size)), p->mtime});
    pos += padded;
  }
  if (archive.size() - pos < 2 * kBlockSize)
    return MakeError(ErrorCode::kParse, "archive truncated: missing end-of-archive blocks");
  if (!AllZero(archive.substr(pos)))
    return MakeError(ErrorCode::kParse, "unexpected data after the end-of-archive blocks");
  return members;
}

}  // namespace lp::ustar
