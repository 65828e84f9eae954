#include "patchbuild/symbols/sympos.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "patchbuild/symbols/reloc_targets.hpp"
#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/text_arch.hpp"

namespace lp::patchbuild::symbols {
namespace {

std::string Hex(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string Quoted(std::string_view object, std::string_view name) {
  return "'" + std::string(name) + "' in " + std::string(object);
}

// Byte equality outside the ignored bytes, plus an acceptable ftrace site.
bool CodeMatches(const TextArch& arch, const FunctionCode& original,
                 const std::vector<bool>& ignored, std::span<const std::uint8_t> shipped) {
  for (std::size_t i = 0; i < shipped.size(); ++i) {
    if (!ignored[i] && original.bytes[i] != shipped[i]) return false;
  }
  for (const RelocRange& reloc : original.relocs) {
    auto site = arch.FtraceSite(reloc);
    if (site && site->offset + site->size <= shipped.size() &&
        !arch.IsFtraceSiteForm(shipped.subspan(site->offset, site->size))) {
      return false;
    }
  }
  return true;
}

// True when the original fits before the next symbol and its bytes match.
bool InstanceMatches(const SymbolTable& table, const VmlinuxImage& image, const TextArch& arch,
                     const Symbol& candidate, const FunctionCode& original,
                     const std::vector<bool>& ignored) {
  std::uint64_t size = original.bytes.size();
  auto next = table.NextAddressAfter(candidate.object, candidate.address);
  if (next && *next - candidate.address < size) return false;
  auto shipped = image.Read(candidate.address, size);
  return shipped && CodeMatches(arch, original, ignored, *shipped) &&
         !CheckRelocationTargets(arch, table, *shipped, candidate.address, original);
}

// True when the text symbol right before or after candidate (kallsyms is
// address-sorted for vmlinux) is one of the object's other functions.
bool HasNeighbourFrom(const SymbolTable& table, const Symbol& candidate,
                      const std::vector<std::string>& object_functions) {
  const auto& symbols = table.symbols();
  for (std::int64_t step : {-1, 1}) {
    std::int64_t at = static_cast<std::int64_t>(candidate.index) + step;
    while (at >= 0 && at < static_cast<std::int64_t>(symbols.size()) && !symbols[at].IsText()) at += step;
    if (at < 0 || at >= static_cast<std::int64_t>(symbols.size())) continue;
    const Symbol& neighbour = symbols[at];
    if (neighbour.object != candidate.object || neighbour.name == candidate.name) continue;
    for (const std::string& name : object_functions) {
      if (name == neighbour.name) return true;
    }
  }
  return false;
}

std::vector<const Symbol*> TieBreakByNeighbours(const SymbolTable& table,
                                                const std::vector<const Symbol*>& matches,
                                                const std::vector<std::string>& object_functions) {
  std::vector<const Symbol*> kept;
  for (const Symbol* match : matches) {
    if (HasNeighbourFrom(table, *match, object_functions)) kept.push_back(match);
  }
  return kept;
}

// With a single candidate the first differing instruction says more than
// "no match": e.g. "show_console_dev+0x1d: instructions differ: ...".
Error NoMatchError(const SymbolTable& table, const VmlinuxImage& image, const FunctionCode& original,
                   const std::string& what, std::size_t functions) {
  std::string message = "none of the " + std::to_string(functions) + " functions " + what +
                        " matches the rebuilt original (wrong tree, config or compiler?)";
  auto only = table.FindInObject(kVmlinux, original.name);
  if (functions == 1 && only.size() == 1) {
    auto compared = CompareWithShipped(image, only.front()->address, original, {}, &table);
    if (compared && compared->mismatch) {
      message += ": " + DescribeMismatch(original.name, *compared->mismatch);
    }
  }
  if (original.weak) message += " (a __weak default: the shipped kernel likely uses an override)";
  return MakeError(ErrorCode::kVerification, message);
}

}  // namespace

Expected<std::uint32_t> ComputeSympos(const SymbolTable& table, std::string_view object,
                                      std::string_view name, std::uint64_t candidate_address) {
  std::vector<const Symbol*> instances = table.FindInObject(object, name);
  if (instances.empty()) {
    return MakeError(ErrorCode::kNotFound, "no symbol " + Quoted(object, name));
  }
  for (std::size_t i = 0; i < instances.size(); ++i) {
    if (instances[i]->address != candidate_address) continue;
    // The kernel stops at the first entry whose count equals sympos, so
    // the first instance at this address is the one it would resolve.
    if (instances.size() == 1) return std::uint32_t{0};
    return static_cast<std::uint32_t>(i + 1);
  }
  return MakeError(ErrorCode::kNotFound, "none of the " + std::to_string(instances.size()) +
                                             " symbols " + Quoted(object, name) + " is at " +
                                             Hex(candidate_address));
}

Expected<std::uint64_t> FindMatchingInstance(const SymbolTable& table, const VmlinuxImage& image,
                                             std::string_view name, const FunctionCode& original,
                                             const std::vector<std::string>& object_functions) {
  const TextArch* arch = FindTextArch(image.machine());
  if (!arch) return MakeError(ErrorCode::kUnsupported, "no code matcher for this vmlinux machine");
  if (original.bytes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(name) + ": no code to match");
  }
  std::vector<bool> ignored = IgnoredBytes(*arch, original);
  std::vector<const Symbol*> matches;
  std::size_t functions = 0;
  for (const Symbol* candidate : table.FindInObject(kVmlinux, name)) {
    if (!candidate->IsText()) continue;
    ++functions;
    if (InstanceMatches(table, image, *arch, *candidate, original, ignored)) matches.push_back(candidate);
  }
  std::string what = Quoted(kVmlinux, name);
  if (functions == 0) return MakeError(ErrorCode::kNotFound, "no function " + what);
  if (matches.empty()) return NoMatchError(table, image, original, what, functions);
  if (matches.size() > 1 && !object_functions.empty()) {
    auto kept = TieBreakByNeighbours(table, matches, object_functions);
    if (kept.size() == 1) return kept.front()->address;
  }
  if (matches.size() > 1) {
    return MakeError(ErrorCode::kConflict,
                     std::to_string(matches.size()) + " of the functions " + what +
                          " match the rebuilt original identically and their neighbours do not tell "
                         "them apart; refusing to guess (the -dbg vmlinux's file symbols would)");
  }
  return matches.front()->address;
}

}  // namespace lp::patchbuild::symbols
