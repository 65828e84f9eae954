#include "patchbuild/diff/dwarf_walk.hpp"

namespace lp::patchbuild {

using elf::DwarfDie;

std::optional<Dwarf_Unsigned> DwarfUnsignedAttr(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half name) {
  DwarfErrorSlot err(dbg);
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

bool DwarfHasAttr(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half name) {
  DwarfErrorSlot err(dbg);
  Dwarf_Attribute attr = nullptr;
  if (dwarf_attr(die, name, &attr, err.get()) != DW_DLV_OK) return false;
  dwarf_dealloc_attribute(attr);
  return true;
}

Dwarf_Half DwarfTag(Dwarf_Debug dbg, Dwarf_Die die) {
  DwarfErrorSlot err(dbg);
  Dwarf_Half tag = 0;
  return dwarf_tag(die, &tag, err.get()) == DW_DLV_OK ? tag : 0;
}

std::string DwarfName(Dwarf_Debug dbg, Dwarf_Die die) {
  DwarfErrorSlot err(dbg);
  char* name = nullptr;  // owned by libdwarf
  if (dwarf_diename(die, &name, err.get()) != DW_DLV_OK || !name) return {};
  return name;
}

void ForEachDwarfChild(Dwarf_Debug dbg, Dwarf_Die parent, const std::function<void(Dwarf_Die)>& fn) {
  DwarfErrorSlot err(dbg);
  Dwarf_Die raw = nullptr;
  if (dwarf_child(parent, &raw, err.get()) != DW_DLV_OK) return;
  for (DwarfDie die(raw); die;) {
    fn(die.get());
    Dwarf_Die next = nullptr;
    if (dwarf_siblingof_b(dbg, die.get(), true, &next, err.get()) != DW_DLV_OK) break;
    die = DwarfDie(next);
  }
}

void ForEachDwarfUnit(Dwarf_Debug dbg, const std::function<void(Dwarf_Die, Dwarf_Half)>& fn) {
  DwarfErrorSlot err(dbg);
  Dwarf_Half version = 0;
  Dwarf_Unsigned next = 0;
  while (dwarf_next_cu_header_d(dbg, true, nullptr, &version, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                &next, nullptr, err.get()) == DW_DLV_OK) {
    Dwarf_Die raw = nullptr;
    if (dwarf_siblingof_b(dbg, nullptr, true, &raw, err.get()) != DW_DLV_OK) break;
    const DwarfDie cu(raw);
    fn(cu.get(), version);
  }
}

DwarfDie DwarfTypeOf(Dwarf_Debug dbg, Dwarf_Die die) {
  DwarfErrorSlot err(dbg);
  Dwarf_Attribute attr = nullptr;
  if (dwarf_attr(die, DW_AT_type, &attr, err.get()) != DW_DLV_OK) return {};
  Dwarf_Off offset = 0;
  const int rc = dwarf_global_formref(attr, &offset, err.get());
  dwarf_dealloc_attribute(attr);
  if (rc != DW_DLV_OK) return {};
  Dwarf_Die target = nullptr;
  if (dwarf_offdie_b(dbg, offset, true, &target, err.get()) != DW_DLV_OK) return {};
  return DwarfDie(target);
}

}  // namespace lp::patchbuild
