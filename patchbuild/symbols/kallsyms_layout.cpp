// How the tables are found without a symbol table:
//
// 1. kallsyms_token_index is the anchor: 256 u16 that start at 0 and grow
//    strictly, by at most 256, at an 8-aligned address. Scanning every
//    8-aligned position of each segment for that shape is cheap (~10 ms for
//    Debian's 60 MB vmlinux) and few places survive it.
// 2. The token table must end right before it (padding < 8 bytes): each
//    token i is a run of printable bytes at table + index[i] whose NUL sits
//    exactly at table + index[i+1] - 1. That fixes the table's start.
// 3. Backwards from the token table the sizes depend only on N: the seqs
//    table is 3N bytes, the markers 4*ceil(N/256). So for every 8-aligned
//    u32 below the token table (followed by 4 zero bytes of padding) taken
//    as a candidate kallsyms_num_syms = N, the markers' place follows, and
//    the candidate is accepted only if walking N length-prefixed names from
//    right after it lands every 256th name on its marker and ends where the
//    markers begin. A wrong N fails within a few reads.
#include "patchbuild/symbols/kallsyms_layout.hpp"

#include <cstring>
#include <string>

namespace lp::patchbuild::symbols {
namespace {

constexpr std::uint64_t kAlign = 8;
constexpr unsigned kTokens = 256;
constexpr std::uint32_t kMaxSymbols = 1u << 24;  // seqs_of_names holds 24-bit numbers

std::uint64_t AlignUp(std::uint64_t v) { return (v + kAlign - 1) & ~(kAlign - 1); }

// Bounds-checked little-endian reads inside one segment's file bytes.
class SegmentBytes {
 public:
  SegmentBytes(std::string_view file, const LoadSegment& segment)
      : data_(reinterpret_cast<const std::uint8_t*>(file.data())),
        begin_(segment.file_offset),
        end_(segment.file_offset + segment.file_size) {}

  std::uint64_t begin() const { return begin_; }
  std::uint64_t end() const { return end_; }
  bool Has(std::uint64_t at, std::uint64_t size) const {
    return at >= begin_ && at <= end_ && end_ - at >= size;
  }
  std::uint8_t U8(std::uint64_t at) const { return data_[at]; }
  template <class T>
  T Le(std::uint64_t at) const {  // callers check Has() first
    T value;
    std::memcpy(&value, data_ + at, sizeof(T));
    return value;
  }

 private:
  const std::uint8_t* data_;
  std::uint64_t begin_;
  std::uint64_t end_;
};

bool LooksLikeTokenIndex(const SegmentBytes& seg, std::uint64_t at) {
  if (!seg.Has(at, kTokens * 2) || seg.Le<std::uint16_t>(at) != 0) return false;
  std::uint16_t prev = 0;
  for (unsigned i = 1; i < kTokens; ++i) {
    auto cur = seg.Le<std::uint16_t>(at + 2 * i);
    if (cur <= prev || cur - prev > 256) return false;
    prev = cur;
  }
  return true;
}

bool IsTokenChar(std::uint8_t c) { return c >= 0x20 && c < 0x7f; }

// Token i spans [table + index[i], nul) with nul the first NUL after it.
bool TokenEndsAt(const SegmentBytes& seg, std::uint64_t start, std::uint64_t nul) {
  for (std::uint64_t at = start; at < nul; ++at) {
    if (!IsTokenChar(seg.U8(at))) return false;
  }
  return seg.U8(nul) == 0;
}

bool TokenTableFits(const SegmentBytes& seg, std::uint64_t table, std::uint64_t index_at) {
  for (unsigned i = 0; i + 1 < kTokens; ++i) {
    std::uint64_t start = table + seg.Le<std::uint16_t>(index_at + 2 * i);
    std::uint64_t next = table + seg.Le<std::uint16_t>(index_at + 2 * (i + 1));
    if (!TokenEndsAt(seg, start, next - 1)) return false;
  }
  // The last token runs to a NUL; only alignment padding may follow it.
  std::uint64_t at = table + seg.Le<std::uint16_t>(index_at + 2 * (kTokens - 1));
  while (at < index_at && IsTokenChar(seg.U8(at))) ++at;
  if (at >= index_at || AlignUp(at + 1 - table) != index_at - table) return false;
  for (; at < index_at; ++at) {
    if (seg.U8(at) != 0) return false;
  }
  return true;
}

std::optional<std::uint64_t> FindTokenTable(const SegmentBytes& seg, std::uint64_t index_at) {
  std::uint64_t last = seg.Le<std::uint16_t>(index_at + 2 * (kTokens - 1));
  // The last token is 0..256 characters long plus its NUL and padding.
  for (std::uint64_t size = AlignUp(last + 1); size <= AlignUp(last + 1 + 256); size += kAlign) {
    if (size > index_at - seg.begin()) break;
    if (TokenTableFits(seg, index_at - size, index_at)) return index_at - size;
  }
  return std::nullopt;
}

// Walks `count` names from `names`; true when every 256th starts at its
// marker and the last ends where the markers (after padding) begin.
bool NamesMatchMarkers(const SegmentBytes& seg, std::uint64_t names, std::uint32_t count,
                       std::uint64_t markers) {
  std::uint64_t off = 0;
  std::uint64_t limit = markers - names;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (i % 256 == 0 && seg.Le<std::uint32_t>(markers + 4 * (i / 256)) != off) return false;
    if (off + 2 > limit) return false;
    std::uint64_t len = seg.U8(names + off);
    std::uint64_t header = 1;
    if (len & 0x80) {
      len = (len & 0x7f) | (std::uint64_t{seg.U8(names + off + 1)} << 7);
      header = 2;
    }
    if (len == 0) return false;
    off += header + len;
  }
  return off <= limit && AlignUp(off) == limit;
}

// Tries `at` as kallsyms_num_syms for a token table at `table`.
std::optional<KallsymsLayout> TryNumSyms(const SegmentBytes& seg, std::uint64_t at,
                                         std::uint64_t table, bool with_seqs) {
  std::uint32_t count = seg.Le<std::uint32_t>(at);
  if (count == 0 || count > kMaxSymbols || seg.Le<std::uint32_t>(at + 4) != 0) return std::nullopt;
  std::uint64_t seqs_size = with_seqs ? AlignUp(3ull * count) : 0;
  std::uint64_t markers_size = AlignUp(4ull * ((count + 255) / 256));
  std::uint64_t names = at + kAlign;
  if (table < names + seqs_size + markers_size + 2ull * count) return std::nullopt;
  std::uint64_t markers = table - seqs_size - markers_size;
  std::uint64_t offsets_size = AlignUp(4ull * count);
  if (at < seg.begin() + kAlign + offsets_size) return std::nullopt;
  if (seg.Le<std::uint32_t>(markers) != 0) return std::nullopt;
  if (!NamesMatchMarkers(seg, names, count, markers)) return std::nullopt;
  KallsymsLayout layout;
  layout.count = count;
  layout.num_syms = at;
  layout.names = names;
  layout.markers = markers;
  if (with_seqs) layout.seqs_of_names = markers + markers_size;
  layout.token_table = table;
  layout.relative_base = at - kAlign;
  layout.offsets = layout.relative_base - offsets_size;
  return layout;
}

std::optional<KallsymsLayout> FindNumSyms(const SegmentBytes& seg, std::uint64_t table) {
  // Stable 6.1 kernels (6.1.192 here) carry kallsyms_seqs_of_names; early
  // 6.1 releases do not. Try the newer layout first.
  for (bool with_seqs : {true, false}) {
    for (std::uint64_t at = table - kAlign; at >= seg.begin() + kAlign; at -= kAlign) {
      if (auto layout = TryNumSyms(seg, at, table, with_seqs)) return layout;
    }
  }
  return std::nullopt;
}

void ScanSegment(const SegmentBytes& seg, std::vector<KallsymsLayout>* found) {
  for (std::uint64_t at = AlignUp(seg.begin()); seg.Has(at, kTokens * 2); at += kAlign) {
    if (!LooksLikeTokenIndex(seg, at)) continue;
    auto table = FindTokenTable(seg, at);
    if (!table) continue;
    auto layout = FindNumSyms(seg, *table);
    if (!layout) continue;
    layout->token_index = at;
    found->push_back(*layout);
  }
}

}  // namespace

Expected<KallsymsLayout> LocateKallsyms(const VmlinuxImage& image) {
  std::vector<KallsymsLayout> found;
  for (const LoadSegment& segment : image.segments()) {
    // Alignment holds for addresses; it carries over to file offsets only
    // when both agree modulo 8 (always so for the kernel's 2 MB-aligned segments).
    if ((segment.vaddr - segment.file_offset) % kAlign != 0) continue;
    ScanSegment(SegmentBytes(image.bytes(), segment), &found);
  }
  if (found.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "no kallsyms tables found in vmlinux (CONFIG_KALLSYMS off, or a layout "
                     "other than 6.1's base-relative one)");
  }
  if (found.size() > 1) {
    return MakeError(ErrorCode::kConflict, "vmlinux holds " + std::to_string(found.size()) +
                                               " candidate kallsyms tables; refusing to guess");
  }
  return found.front();
}

}  // namespace lp::patchbuild::symbols
