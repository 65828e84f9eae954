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

#include "patchbuild/elf/dwarf_debug.hpp"

namespace lp::patchbuild {
namespace {

using elf::DwarfDebug;
using elf::DwarfDie;

using Locations = std::map<std::string, SourceLocation>;

// Frees a Dwarf_Error on scope exit; libdwarf aborts when given neither an
// error pointer nor a handler, so every call gets one of these.
class ErrorSlot {
 public:
  explicit ErrorSlot(Dwarf_Debug dbg) : dbg_(dbg) {}
  ~ErrorSlot() {
    if (err_) dwarf_dealloc(dbg_, err_, DW_DLA_ERROR);
  }
  Dwarf_Error* get() {
    if (err_) dwarf_dealloc(dbg_, err_, DW_DLA_ERROR);
    err_ = nullptr;
    return &err_;
  }

 private:
  Dwarf_Debug dbg_;
  Dwarf_Error err_ = nullptr;
};

// The file names of one compilation unit, indexed as DW_AT_decl_file is.
class SourceFiles {
 public:
  SourceFiles(Dwarf_Debug dbg, Dwarf_Die cu, Dwarf_Half version) : dbg_(dbg), version_(version) {
    ErrorSlot err(dbg);
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

std::optional<Dwarf_Unsigned> UnsignedAttr(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half name) {
  ErrorSlot err(dbg);
  Dwarf_Attribute attr = nullptr;
  if (dwarf_attr(die, name, &attr, err.get()) != DW_DLV_OK) return std::nullopt;
  Dwarf_Unsigned value = 0;
  int rc = dwarf_formudata(attr, &value, err.get());
  if (rc != DW_DLV_OK) {
    // gcc 12's DWARF 5 shares DW_AT_decl_file between DIEs through
    // DW_FORM_implicit_const, which this libdwarf's formudata rejects but
    // formsdata reads.
    Dwarf_Signed signed_value = 0;
    rc = dwarf_formsdata(attr, &signed_value, err.get());
    value = static_cast<Dwarf_Unsigned>(signed_value);
  }
  dwarf_dealloc_attribute(attr);
  if (rc != DW_DLV_OK) return std::nullopt;
  return value;
}

bool HasAttr(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half name) {
  ErrorSlot err(dbg);
  Dwarf_Attribute attr = nullptr;
  if (dwarf_attr(die, name, &attr, err.get()) != DW_DLV_OK) return false;
  dwarf_dealloc_attribute(attr);
  return true;
}

void RecordSubprogram(Dwarf_Debug dbg, Dwarf_Die die, const SourceFiles& files, Locations& out) {
  ErrorSlot err(dbg);
  Dwarf_Half tag = 0;
  if (dwarf_tag(die, &tag, err.get()) != DW_DLV_OK || tag != DW_TAG_subprogram) return;
  if (HasAttr(dbg, die, DW_AT_declaration)) return;  // a prototype such as printk's
  char* name = nullptr;  // owned by libdwarf
  if (dwarf_diename(die, &name, err.get()) != DW_DLV_OK || !name) return;
  const auto file = UnsignedAttr(dbg, die, DW_AT_decl_file);
  const auto line = UnsignedAttr(dbg, die, DW_AT_decl_line);
  if (!file || !line || !files.Name(*file)) return;
  out.try_emplace(name, SourceLocation{files.Name(*file), static_cast<uint32_t>(*line)});
}

void ReadUnit(Dwarf_Debug dbg, Dwarf_Die cu, Dwarf_Half version, Locations& out) {
  const SourceFiles files(dbg, cu, version);
  ErrorSlot err(dbg);
  Dwarf_Die raw = nullptr;
  if (dwarf_child(cu, &raw, err.get()) != DW_DLV_OK) return;
  for (DwarfDie die(raw); die;) {
    RecordSubprogram(dbg, die.get(), files, out);
    Dwarf_Die next = nullptr;
    if (dwarf_siblingof_b(dbg, die.get(), true, &next, err.get()) != DW_DLV_OK) break;
    die = DwarfDie(next);
  }
}

Locations ReadLocations(Dwarf_Debug dbg) {
  Locations out;
  ErrorSlot err(dbg);
  Dwarf_Half version = 0;
  Dwarf_Unsigned next = 0;
  while (dwarf_next_cu_header_d(dbg, true, nullptr, &version, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                &next, nullptr, err.get()) == DW_DLV_OK) {
    Dwarf_Die raw = nullptr;
    if (dwarf_siblingof_b(dbg, nullptr, true, &raw, err.get()) != DW_DLV_OK) break;
    const DwarfDie cu(raw);
    ReadUnit(dbg, cu.get(), version, out);
  }
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
