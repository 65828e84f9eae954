#include "patchbuild/generate/klp_side_table.hpp"

#include <cstring>

namespace lp::patchbuild::generate {
namespace {

template <class T>
void Put(std::vector<uint8_t>& out, size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof(T));  // x86_64 only: host order is little-endian
}

template <class T>
T Get(std::string_view in, size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  return value;
}

}  // namespace

std::string KlpSymbolName(std::string_view object, std::string_view name, uint32_t sympos) {
  return ".klp.sym." + std::string(object) + "." + std::string(name) + "," + std::to_string(sympos);
}

Expected<std::string> KlpSymbolObject(std::string_view klp_symbol) {
  constexpr std::string_view kPrefix = ".klp.sym.";
  if (klp_symbol.substr(0, kPrefix.size()) != kPrefix)
    return MakeError(ErrorCode::kParse, "not a livepatch symbol name: " + std::string(klp_symbol));
  std::string_view rest = klp_symbol.substr(kPrefix.size());
  size_t dot = rest.find('.');
  // The kernel scans the object with %55[^.]: no dot inside, at most 55 chars.
  if (dot == std::string_view::npos || dot == 0 || dot > 55 || rest.find(',') == std::string_view::npos)
    return MakeError(ErrorCode::kParse, "malformed livepatch symbol name: " + std::string(klp_symbol));
  return std::string(rest.substr(0, dot));
}

EncodedSideTable EncodeSideTable(const std::vector<KlpRelocEntry>& entries) {
  EncodedSideTable out;
  out.entries.resize(entries.size() * kSideEntrySize);
  out.strings.push_back(0);
  for (size_t i = 0; i < entries.size(); ++i) {
    size_t at = i * kSideEntrySize;
    Put<uint64_t>(out.entries, at, 0);
    Put<int64_t>(out.entries, at + 8, entries[i].addend);
    Put<uint32_t>(out.entries, at + 16, entries[i].type);
    Put<uint32_t>(out.entries, at + 20, static_cast<uint32_t>(out.strings.size()));
    out.strings.insert(out.strings.end(), entries[i].symbol.begin(), entries[i].symbol.end());
    out.strings.push_back(0);
  }
  return out;
}

Expected<std::vector<KlpRelocEntry>> DecodeSideTable(std::string_view entries, std::string_view strings) {
  if (entries.size() % kSideEntrySize != 0)
    return MakeError(ErrorCode::kParse, std::string(kSideTableSection) + " size is not a multiple of 24");
  std::vector<KlpRelocEntry> out;
  for (size_t at = 0; at < entries.size(); at += kSideEntrySize) {
    KlpRelocEntry e;
    e.addend = Get<int64_t>(entries, at + 8);
    e.type = Get<uint32_t>(entries, at + 16);
    uint32_t name = Get<uint32_t>(entries, at + 20);
    size_t end = name < strings.size() ? strings.find('\0', name) : std::string_view::npos;
    if (end == std::string_view::npos)
      return MakeError(ErrorCode::kParse, std::string(kSideTableSection) + ": symbol name out of range");
    e.symbol = std::string(strings.substr(name, end - name));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lp::patchbuild::generate
