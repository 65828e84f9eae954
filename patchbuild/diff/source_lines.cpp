// DWARF lookup of where each changed function is defined, so the report can
// say "fs/proc/cmdline.c:8" next to cmdline_proc_show.
//
// A relocatable object's DW_AT_low_pc values are all 0 plus a relocation, so
// functions are found by name (DW_AT_name of DW_TAG_subprogram), not by
// address. Clones and cold parts map to the function they came from:
// `show_map.isra.0` and `show_map.cold` are both reported at show_map.
#include "patchbuild/diff/source_lines.hpp"

#include <map>
#include <string>
#include <vector>

#include "patchbuild/diff/dwarf_walk.hpp"

namespace lp::patchbuild {
namespace {

using elf::DwarfDebug;

using Locations = std::map<std::string, SourceLocation>;

// The file names of one compilation unit, indexed as DW_AT_decl_file is.
class SourceFiles {
 public:
  SourceFiles(Dwarf_Debug dbg, Dwarf_Die cu, Dwarf_Half version) : dbg_(dbg), version_(version) {
    DwarfErrorSlot err(dbg);
    if (dwarf_srcfiles(cu, &files_, &count_, err.get()) != DW_DLV_OK) files_ = nullptr, count_ = 0;
  }
  ~SourceFiles() {
    for (Dwarf_Signed i = 0; i < count_; ++i) dwarf_dealloc(dbg_, files_[i], DW_DLA_STRING);
    if (files_) dwarf_dealloc(dbg_, files_, DW_DLA_LIST);
  }
  SourceFiles(const SourceFiles&) = delete;
  SourceFiles& operator=(const SourceFiles&) = delete;

  // DWARF 5 numbers files from 0 (0 is the primary file); 2-4 from 1.
  const char* Name(Dwarf_Unsigned decl_file) const {
    const Dwarf_Signed index = static_cast<Dwarf_Signed>(decl_file) - (version_ >= 5 ? 0 : 1);
    return index >= 0 && index < count_ ? files_[index] : nullptr;
  }

 private:
  Dwarf_Debug dbg_;
  Dwarf_Half version_;
  char** files_ = nullptr;
  Dwarf_Signed count_ = 0;
};

void RecordSubprogram(Dwarf_Debug dbg, Dwarf_Die die, const SourceFiles& files, Locations& out) {
  if (DwarfTag(dbg, die) != DW_TAG_subprogram) return;
  if (DwarfHasAttr(dbg, die, DW_AT_declaration)) return;  // a prototype such as printk's
  const std::string name = DwarfName(dbg, die);
  if (name.empty()) return;
  const auto file = DwarfUnsignedAttr(dbg, die, DW_AT_decl_file);
  const auto line = DwarfUnsignedAttr(dbg, die, DW_AT_decl_line);
  if (!file || !line || !files.Name(*file)) return;
  out.try_emplace(name, SourceLocation{files.Name(*file), static_cast<uint32_t>(*line)});
}

Locations ReadLocations(Dwarf_Debug dbg) {
  Locations out;
  ForEachDwarfUnit(dbg, [&](Dwarf_Die cu, Dwarf_Half version) {
    const SourceFiles files(dbg, cu, version);
    ForEachDwarfChild(dbg, cu, [&](Dwarf_Die die) { RecordSubprogram(dbg, die, files, out); });
  });
  return out;
}

// "show_map.isra.0" / "show_map.cold" -> "show_map".
std::string SourceName(const std::string& symbol) { return symbol.substr(0, symbol.find('.')); }

}  // namespace

void AddSourceLocations(const std::filesystem::path& object, DiffResult& result) {
  if (result.ChangedFunctions().empty()) return;
  auto dbg = DwarfDebug::Open(object);
  if (!dbg) return;
  const Locations locations = ReadLocations(dbg->get());
  for (auto& f : result.functions) {
    if (f.status == ChangeStatus::Same) continue;
    auto it = locations.find(SourceName(f.name));
    if (it != locations.end()) f.source = it->second;
  }
}

}  // namespace lp::patchbuild
