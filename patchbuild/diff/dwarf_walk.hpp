// Small helpers over libdwarf shared by the diff's DWARF readers
// (source_lines.cpp: where a function is; type_layouts.cpp: what a struct
// looks like). Internal to patchbuild/diff.
//
// Every libdwarf call gets an error slot: this libdwarf aborts the process
// when a call fails with neither an error pointer nor a handler.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "patchbuild/elf/dwarf_debug.hpp"

namespace lp::patchbuild {

// Frees a Dwarf_Error on scope exit (and before each reuse).
class DwarfErrorSlot {
 public:
  explicit DwarfErrorSlot(Dwarf_Debug dbg) : dbg_(dbg) {}
  ~DwarfErrorSlot() { Clear(); }
  DwarfErrorSlot(const DwarfErrorSlot&) = delete;
  DwarfErrorSlot& operator=(const DwarfErrorSlot&) = delete;
  Dwarf_Error* get() {
    Clear();
    return &err_;
  }

 private:
  void Clear() {
    if (err_) dwarf_dealloc(dbg_, err_, DW_DLA_ERROR);
    err_ = nullptr;
  }
  Dwarf_Debug dbg_;
  Dwarf_Error err_ = nullptr;
};

// An unsigned constant attribute (DW_AT_decl_line, DW_AT_byte_size,
// DW_AT_data_member_location ...), or nullopt when absent or not a constant.
std::optional<Dwarf_Unsigned> DwarfUnsignedAttr(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half name);
bool DwarfHasAttr(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half name);
// DW_TAG_* of `die`, 0 when unreadable.
Dwarf_Half DwarfTag(Dwarf_Debug dbg, Dwarf_Die die);
// DW_AT_name, empty when absent.
std::string DwarfName(Dwarf_Debug dbg, Dwarf_Die die);

// Calls `fn` for each direct child of `parent`, in order. The child is
// valid only during the call.
void ForEachDwarfChild(Dwarf_Debug dbg, Dwarf_Die parent, const std::function<void(Dwarf_Die)>& fn);

// Calls `fn` for each compilation unit's DIE and its DWARF version.
void ForEachDwarfUnit(Dwarf_Debug dbg, const std::function<void(Dwarf_Die, Dwarf_Half)>& fn);

// The DIE that `die`'s DW_AT_type refers to (same debug info), if any.
elf::DwarfDie DwarfTypeOf(Dwarf_Debug dbg, Dwarf_Die die);

}  // namespace lp::patchbuild
