#include "patchbuild/symbols/kallsyms_decode.hpp"

#include <array>
#include <cstring>
#include <string>

#include "patchbuild/symbols/kallsyms_layout.hpp"

namespace lp::patchbuild::symbols {
namespace {

template <class T>
T ReadLe(std::string_view bytes, std::uint64_t at) {  // LocateKallsyms checked the bounds
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

using TokenTable = std::array<std::string_view, 256>;

TokenTable ReadTokens(std::string_view bytes, const KallsymsLayout& layout) {
  TokenTable tokens;
  for (unsigned i = 0; i < tokens.size(); ++i) {
    std::uint64_t at = layout.token_table + ReadLe<std::uint16_t>(bytes, layout.token_index + 2 * i);
    tokens[i] = std::string_view(bytes.data() + at);  // NUL-terminated, checked when located
  }
  return tokens;
}

// Expands one compressed name at *offset (into kallsyms_names) and moves
// *offset past it. The first character is the type letter ("tcmdline_proc_show").
std::string ExpandName(std::string_view bytes, const TokenTable& tokens, std::uint64_t* offset) {
  auto byte_at = [&](std::uint64_t at) { return static_cast<std::uint8_t>(bytes[at]); };
  std::uint64_t len = byte_at(*offset);
  ++*offset;
  if (len & 0x80) {  // two-byte ULEB128 length, names longer than 127 tokens
    len = (len & 0x7f) | (std::uint64_t{byte_at(*offset)} << 7);
    ++*offset;
  }
  std::string expanded;
  for (std::uint64_t i = 0; i < len; ++i) expanded += tokens[byte_at(*offset + i)];
  *offset += len;
  return expanded;
}

// With CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP) per-cpu symbols, which
// live at small absolute addresses (fixed_percpu_data at 0), are stored as
// non-negative values and everything else as relative_base - 1 - address,
// always negative. Without it every entry is an unsigned offset from
// relative_base, which never reaches 2^31 for a kernel image; so a single
// negative entry tells the two encodings apart.
bool UsesAbsolutePercpu(std::string_view bytes, const KallsymsLayout& layout) {
  for (std::uint32_t i = 0; i < layout.count; ++i) {
    if (ReadLe<std::int32_t>(bytes, layout.offsets + 4ull * i) < 0) return true;
  }
  return false;
}

std::uint64_t SymbolAddress(std::int32_t stored, std::uint64_t base, bool absolute_percpu) {
  if (!absolute_percpu) return base + static_cast<std::uint32_t>(stored);
  if (stored >= 0) return static_cast<std::uint64_t>(stored);
  return base - 1 - static_cast<std::uint64_t>(static_cast<std::int64_t>(stored));
}

Status CheckPlausible(const SymbolTable& table) {
  // scripts/kallsyms sorts by address; a decode that is not sorted read the
  // wrong bytes.
  const auto& symbols = table.symbols();
  for (std::size_t i = 1; i < symbols.size(); ++i) {
    if (symbols[i].address < symbols[i - 1].address) {
      return MakeError(ErrorCode::kParse, "decoded kallsyms addresses are not sorted at " +
                                              symbols[i - 1].name + " / " + symbols[i].name);
    }
  }
  return Ok();
}

}  // namespace

Expected<SymbolTable> DecodeKallsyms(const VmlinuxImage& image) {
  auto layout = LocateKallsyms(image);
  if (!layout) return layout.error();
  std::string_view bytes = image.bytes();
  TokenTable tokens = ReadTokens(bytes, *layout);
  auto base = ReadLe<std::uint64_t>(bytes, layout->relative_base);
  bool absolute_percpu = UsesAbsolutePercpu(bytes, *layout);
  SymbolTable table;
  table.Reserve(layout->count);
  std::uint64_t offset = layout->names;
  for (std::uint32_t i = 0; i < layout->count; ++i) {
    std::string expanded = ExpandName(bytes, tokens, &offset);
    if (expanded.size() < 2) {
      return MakeError(ErrorCode::kParse, "kallsyms entry " + std::to_string(i) + " is empty");
    }
    auto stored = ReadLe<std::int32_t>(bytes, layout->offsets + 4ull * i);
    table.Add(Symbol{expanded.substr(1), SymbolAddress(stored, base, absolute_percpu), expanded[0],
                     std::string(kVmlinux), 0});
  }
  LP_TRY(CheckPlausible(table));
  return table;
}

Expected<SymbolTable> DecodeKallsyms(std::string_view vmlinux_bytes) {
  auto image = VmlinuxImage::Open(vmlinux_bytes);
  if (!image) return image.error();
  return DecodeKallsyms(*image);
}

}  // namespace lp::patchbuild::symbols
