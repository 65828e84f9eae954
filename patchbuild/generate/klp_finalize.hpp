// The last step of generate, run on the .ko that kbuild linked (before it is
// signed): turns the side table (klp_side_table.hpp) into real livepatch
// relocations, as Documentation/livepatch/module-elf-format.rst describes.
//
// For each entry it adds a relocation to `.klp.rela.<obj>.<section>` (SHT_RELA,
// SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH, sh_info = the patched
// section, e.g. .klp.rela.vmlinux..text.livepatch_cmdline_proc_show) against
// a symbol `.klp.sym.<obj>.<name>,<sympos>` in SHN_LIVEPATCH, appended as a
// global after the module's own symbols (locals stay first; existing
// symbol indexes do not move, so kbuild's relocations stay valid). The side
// table sections are dropped; section symbols that pointed at them become
// absolute zeros (nothing refers to them).
//
// The loader then leaves those sections alone; klp_apply_section_relocs()
// resolves each .klp.sym through kallsyms (name + sympos) when the target
// object is present: at load for vmlinux, when the module loads for others.
#pragma once

#include <filesystem>

#include "common/error.hpp"

namespace lp::patchbuild::generate {

struct FinalizeResult {
  size_t klp_relocations = 0;
  size_t klp_sections = 0;
  size_t klp_symbols = 0;
};

// Rewrites `ko` in place (through a temporary file and rename). A module
// without a side table is left as it is (result all zeros).
Expected<FinalizeResult> FinalizeKlpRelocations(const std::filesystem::path& ko);

}  // namespace lp::patchbuild::generate
