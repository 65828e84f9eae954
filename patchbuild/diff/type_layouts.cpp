// Reads struct/union layouts from DWARF and compares them (see the header for
// why). Only sizes and member places count: a member renamed or given
// another type of the same size and place changes no byte the running
// kernel's code reads.
#include "patchbuild/diff/type_layouts.hpp"

#include <algorithm>

#include "patchbuild/diff/dwarf_walk.hpp"

namespace lp::patchbuild {
namespace {

using elf::DwarfDebug;

bool IsAggregate(Dwarf_Half tag) { return tag == DW_TAG_structure_type || tag == DW_TAG_union_type; }

std::string MemberPlace(Dwarf_Debug dbg, Dwarf_Die member) {
  // Union members have no location: all at 0.
  std::string text = std::to_string(DwarfUnsignedAttr(dbg, member, DW_AT_data_member_location).value_or(0));
  // Bit-fields: DWARF 4/5 (gcc 12) give DW_AT_data_bit_offset from the start
  // of the struct instead of a member location.
  if (auto bits = DwarfUnsignedAttr(dbg, member, DW_AT_data_bit_offset)) text += ":" + std::to_string(*bits);
  if (auto bits = DwarfUnsignedAttr(dbg, member, DW_AT_bit_size)) text += "/" + std::to_string(*bits);
  return text;
}

std::optional<TypeLayout> LayoutOf(Dwarf_Debug dbg, Dwarf_Die type) {
  if (DwarfHasAttr(dbg, type, DW_AT_declaration)) return std::nullopt;  // `struct foo;`
  auto size = DwarfUnsignedAttr(dbg, type, DW_AT_byte_size);
  if (!size) return std::nullopt;
  TypeLayout layout{*size, {}, {}};
  ForEachDwarfChild(dbg, type, [&](Dwarf_Die child) {
    if (DwarfTag(dbg, child) != DW_TAG_member) return;
    layout.places.push_back(MemberPlace(dbg, child));
    layout.names.push_back(DwarfName(dbg, child));
  });
  return layout;
}

// The key and layout a file-scope DIE contributes, if any.
void Record(Dwarf_Debug dbg, Dwarf_Die die, TypeLayouts& out) {
  const Dwarf_Half tag = DwarfTag(dbg, die);
  if (IsAggregate(tag)) {
    const std::string name = DwarfName(dbg, die);
    if (name.empty()) return;  // anonymous: reached through a typedef or its container
    if (auto layout = LayoutOf(dbg, die))
      out.try_emplace((tag == DW_TAG_structure_type ? "struct " : "union ") + name, std::move(*layout));
    return;
  }
  if (tag != DW_TAG_typedef) return;
  const elf::DwarfDie target = DwarfTypeOf(dbg, die);
  if (!target || !IsAggregate(DwarfTag(dbg, target.get())) || !DwarfName(dbg, target.get()).empty()) return;
  if (auto layout = LayoutOf(dbg, target.get())) out.try_emplace("typedef " + DwarfName(dbg, die), std::move(*layout));
}

std::string Describe(const TypeLayout& o, const TypeLayout& p) {
  if (o.byte_size != p.byte_size)
    return "size " + std::to_string(o.byte_size) + " -> " + std::to_string(p.byte_size) + " bytes";
  for (size_t i = 0; i < std::min(o.places.size(), p.places.size()); ++i)
    if (o.places[i] != p.places[i] || o.names[i] != p.names[i])
      return "member " + o.names[i] + "@" + o.places[i] + " -> " + p.names[i] + "@" + p.places[i];
  return "members " + std::to_string(o.places.size()) + " -> " + std::to_string(p.places.size());
}

}  // namespace

bool TypeLayout::SamePlaces(const TypeLayout& o) const {
  if (byte_size != o.byte_size || places != o.places) return false;
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = 0; j < o.names.size(); ++j)
      if (!names[i].empty() && names[i] == o.names[j] && places[i] != o.places[j]) return false;
  return true;
}

std::optional<TypeLayouts> ReadTypeLayouts(const std::filesystem::path& object) {
  auto dbg = DwarfDebug::Open(object);
  if (!dbg) return std::nullopt;
  TypeLayouts out;
  ForEachDwarfUnit(dbg->get(), [&](Dwarf_Die cu, Dwarf_Half) {
    ForEachDwarfChild(dbg->get(), cu, [&](Dwarf_Die die) { Record(dbg->get(), die, out); });
  });
  return out;
}

std::vector<Problem> CompareTypeLayouts(const TypeLayouts& original, const TypeLayouts& patched) {
  std::vector<Problem> problems;
  for (const auto& [name, before] : original) {
    auto it = patched.find(name);
    if (it == patched.end() || it->second.SamePlaces(before)) continue;
    problems.push_back({name, "the patch changes its layout (" + Describe(before, it->second) +
                                  "): the running kernel's instances and its unchanged code keep the old layout; "
                                  "keep the type as it is and put new state in a shadow variable (kmod/README.md)"});
  }
  return problems;
}

}  // namespace lp::patchbuild
