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

namespace lp::patchbuild::symbols {
namespace {

bool IsInstanceOf(const SymbolTable& table, std::string_view name, std::uint64_t address) {
  for (const Symbol* candidate : table.FindInObject(kVmlinux, name)) {
    if (candidate->address == address) return true;
  }
  return false;
}

}  // namespace

Expected<std::uint64_t> ResolveReferencedSymbol(const SymbolTable& table, const VmlinuxImage& image,
                                                std::uint64_t function_address,
                                                const FunctionCode& original, std::string_view symbol) {
  auto shipped = image.Read(function_address, original.bytes.size());
  if (!shipped) return shipped.error().WithContext(original.name);
  std::optional<std::uint64_t> resolved;
  for (const RelocRange& reloc : original.relocs) {
    if (reloc.symbol != symbol) continue;
    auto target = ResolvedSymbol(*shipped, function_address, reloc);
    if (!target) {
      return MakeError(ErrorCode::kUnsupported, original.name + ": relocation against " +
                                                    reloc.symbol + " of unknown kind");
    }
    if (resolved && *resolved != *target) {
      return MakeError(ErrorCode::kVerification, original.name + " refers to " + reloc.symbol +
                                                     " at two addresses: " + NameAt(table, *resolved) +
                                                     " and " + NameAt(table, *target));
    }
    resolved = target;
  }
  std::string what = "'" + std::string(symbol) + "'";
  if (!resolved) return MakeError(ErrorCode::kNotFound, original.name + " does not refer to " + what);
  if (!IsInstanceOf(table, symbol, *resolved)) {
    return MakeError(ErrorCode::kVerification, original.name + " refers to " + what + " at " +
                                                   NameAt(table, *resolved) +
                                                   ", which is no vmlinux symbol of that name");
  }
  return *resolved;
}

}  // namespace lp::patchbuild::symbols
