#include "patchbuild/symbols/reloc_targets.hpp"

#include <cstdio>
#include <cstring>
#include <string>

namespace lp::patchbuild::symbols {
namespace {

// The value the linker wrote, sign-extended: 4-byte fields hold rel32 or
// a sign-extended 32-bit kernel address (R_X86_64_32S).
std::optional<std::int64_t> StoredValue(std::span<const std::uint8_t> shipped, const RelocRange& reloc) {
  if (reloc.offset + reloc.size > shipped.size()) return std::nullopt;
  if (reloc.size == 4) {
    std::int32_t value;
    std::memcpy(&value, shipped.data() + reloc.offset, 4);
    return value;
  }
  if (reloc.size == 8) {
    std::int64_t value;
    std::memcpy(&value, shipped.data() + reloc.offset, 8);
    return value;
  }
  return std::nullopt;
}

// S, from the stored value: S + A - P for PC-relative, S + A otherwise.
std::optional<std::uint64_t> ResolvedSymbol(std::span<const std::uint8_t> shipped,
                                            std::uint64_t address, const RelocRange& reloc) {
  auto value = StoredValue(shipped, reloc);
  if (!value || reloc.kind == RelocKind::kUnknown) return std::nullopt;
  auto s = static_cast<std::uint64_t>(*value - reloc.addend);
  if (reloc.kind == RelocKind::kPcRelative) s += address + reloc.offset;
  return s;
}

std::string NameAt(const SymbolTable& table, std::uint64_t address) {
  char hex[24];
  std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(address));
  for (const Symbol& symbol : table.symbols()) {
    if (symbol.address == address && symbol.object == kVmlinux) return symbol.name + " (" + hex + ")";
  }
  return hex;
}

}  // namespace

std::optional<ShippedMismatch> CheckRelocationTargets(const TextArch& arch, const SymbolTable& table,
                                                      std::span<const std::uint8_t> shipped,
                                                      std::uint64_t address,
                                                      const FunctionCode& original) {
  for (const RelocRange& reloc : original.relocs) {
    auto candidates = table.FindInObject(kVmlinux, reloc.symbol);
    if (candidates.empty()) continue;
    // An ftrace site turned into a NOP has no target left.
    auto site = arch.FtraceSite(reloc);
    if (site && (site->offset + site->size > shipped.size() ||
                 !arch.IsFtraceCall(shipped.subspan(site->offset, site->size)))) {
      continue;
    }
    auto target = ResolvedSymbol(shipped, address, reloc);
    if (!target) continue;
    bool named = false;
    for (const Symbol* candidate : candidates) named = named || candidate->address == *target;
    if (!named) {
      return ShippedMismatch{reloc.offset, "-> " + reloc.symbol, "-> " + NameAt(table, *target),
                             "relocation target differs"};
    }
  }
  return std::nullopt;
}

}  // namespace lp::patchbuild::symbols
