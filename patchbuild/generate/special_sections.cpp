#include "patchbuild/generate/special_sections.hpp"

#include <map>
#include <string_view>

namespace lp::patchbuild::generate {
namespace {

struct TableSpec {
  std::string_view name;
  uint64_t entry_size;
  std::string_view paired = {};
  uint64_t paired_size = 0;
};

constexpr TableSpec kTables[] = {
    {"__mcount_loc", 8},      {".orc_unwind_ip", 4, ".orc_unwind", 6},
    {".return_sites", 4},     {".retpoline_sites", 4},
    {".ibt_endbr_seal", 4},   {"__bug_table", 12},
    {"__jump_table", 16},     {"__ex_table", 12},
    {".altinstructions", 12}, {".static_call_sites", 8},
    {".smp_locks", 4},
};

const TableSpec* FindSpec(std::string_view name) {
  for (const TableSpec& spec : kTables)
    if (spec.name == name) return &spec;
  return nullptr;
}

bool PointsInto(const elf::Relocation& r, const std::function<bool(const elf::Section*)>& is_copied) {
  return r.symbol && r.symbol->section && r.symbol->section->IsCode() && is_copied(r.symbol->section);
}

// A section the filter does not know: fine unless it is anonymous,
// allocated, and points into copied code (e.g. a future table of call sites).
Status CheckUnknown(const elf::Section& sec, const std::function<bool(const elf::Section*)>& is_copied) {
  if (!(sec.header.sh_flags & SHF_ALLOC) || sec.IsCode() || sec.header.sh_type == SHT_RELA) return Ok();
  if (sec.name.rfind(".discard", 0) == 0 || sec.name.rfind(".init", 0) == 0 || sec.name.rfind(".exit", 0) == 0)
    return Ok();
  // The export table entry of a changed EXPORT_SYMBOL function: the running
  // kernel's export stays, and livepatch redirects the function behind it.
  if (sec.name.rfind("___ksymtab", 0) == 0 || sec.name.rfind("___kcrctab", 0) == 0) return Ok();
  for (const elf::Symbol* s : sec.symbols)
    if (s->IsObject()) return Ok();  // data of the running kernel (a fops table): points at the old code
  for (const elf::Relocation& r : sec.relocations)
    if (PointsInto(r, is_copied))
      return MakeError(ErrorCode::kUnsupported, "section " + sec.name + " refers to the changed code at " +
                                                    r.symbol->section->name +
                                                    " and generate does not know how to carry it");
  return Ok();
}

}  // namespace

Expected<std::optional<FilteredTable>> FilterSpecialSection(
    const elf::ObjectFile& obj, const elf::Section& sec,
    const std::function<bool(const elf::Section*)>& is_copied) {
  const TableSpec* spec = FindSpec(sec.name);
  if (!spec) {
    LP_TRY(CheckUnknown(sec, is_copied));
    return std::optional<FilteredTable>{};
  }
  if (sec.size() % spec->entry_size != 0)
    return MakeError(ErrorCode::kParse, sec.name + ": size is not a multiple of its entry size");
  const elf::Section* paired = spec->paired.empty() ? nullptr : obj.FindSection(spec->paired);
  const uint64_t entries = sec.size() / spec->entry_size;
  if (!spec->paired.empty() && (!paired || paired->size() != entries * spec->paired_size))
    return MakeError(ErrorCode::kParse, sec.name + ": " + std::string(spec->paired) + " does not match it");

  std::map<uint64_t, std::vector<const elf::Relocation*>> by_entry;
  for (const elf::Relocation& r : sec.relocations) by_entry[r.offset / spec->entry_size].push_back(&r);
  FilteredTable out;
  out.paired = paired;
  for (const auto& [entry, relocs] : by_entry) {
    const uint64_t start = entry * spec->entry_size;
    if (relocs.front()->offset != start || !PointsInto(*relocs.front(), is_copied)) continue;
    const uint64_t new_start = out.bytes.size();
    out.bytes.insert(out.bytes.end(), sec.data.begin() + static_cast<std::ptrdiff_t>(start),
                     sec.data.begin() + static_cast<std::ptrdiff_t>(start + spec->entry_size));
    for (const elf::Relocation* r : relocs) out.relocations.emplace_back(r, new_start + (r->offset - start));
    if (paired) {
      const auto from = paired->data.begin() + static_cast<std::ptrdiff_t>(entry * spec->paired_size);
      out.paired_bytes.insert(out.paired_bytes.end(), from, from + static_cast<std::ptrdiff_t>(spec->paired_size));
    }
  }
  if (out.bytes.empty()) return std::optional<FilteredTable>{};
  return std::optional<FilteredTable>{std::move(out)};
}

}  // namespace lp::patchbuild::generate
