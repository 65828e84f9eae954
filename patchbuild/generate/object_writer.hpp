// Writes an ObjectPlan as an ELF relocatable object that kbuild links into
// the patch module like any compiled object (as <name>_patch.o_shipped).
//
// Layout: the planned sections in plan order, a .rela section after each
// that has relocations, the livepatch side table (klp_side_table.hpp) when
// there are livepatch relocations, .note.GNU-stack (no executable stack),
// .symtab (null, a section symbol per planned section, local symbols, then
// globals: the replacement functions and the running kernel's exported
// symbols as undefined), .strtab, .shstrtab.
#pragma once

#include <filesystem>

#include "common/error.hpp"
#include "patchbuild/generate/object_plan.hpp"

namespace lp::patchbuild::generate {

// The relocation type that stores a full 64-bit address (R_X86_64_64): the
// side table's places are filled by one of these.
Expected<uint32_t> AbsoluteAddressReloc(uint16_t machine);

Status WriteObject(const ObjectPlan& plan, const std::filesystem::path& path);

}  // namespace lp::patchbuild::generate
