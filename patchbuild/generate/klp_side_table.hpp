// The hand-over between the generated object and the finished .ko: which
// places of the patch module must become livepatch relocations.
//
// Why a side table: a livepatch relocation (.klp.rela.vmlinux..text.x with
// SHF_RELA_LIVEPATCH, against a .klp.sym.vmlinux.saved_command_line,0 symbol
// in SHN_LIVEPATCH) cannot go through kbuild. `ld -r` would treat the
// .klp.rela section as a plain relocation section and apply or merge it, and
// modpost would reject the undefined saved_command_line (not exported). So
// the generated object carries, instead of each such relocation, one entry
// in `.note.fleetpatch.klp_relocs` (not SHF_ALLOC, so the loader would ignore it anyway):
//
//   offset 0   u64  place: zero in the object; a R_X86_64_64 relocation
//                   (in .rela.note.fleetpatch.klp_relocs) against the section symbol of
//                   the section being patched, addend = offset in it. The
//                   linker keeps that relocation up to date while it merges
//                   sections (e.g. __mcount_loc with the skeleton's), so
//                   after kbuild the .ko's own relocation says where.
//   offset 8   i64  addend of the livepatch relocation
//   offset 16  u32  relocation type (R_X86_64_PC32 ...)
//   offset 20  u32  offset in `.note.fleetpatch.klp_strs` of the livepatch symbol name
//                   ".klp.sym.<object>.<name>,<sympos>" (NUL-terminated); also
//                   a relocation (R_X86_64_32 against the strings' section
//                   symbol, addend = the offset), because when kbuild links
//                   several generated objects (a patch of several files)
//                   their string tables are concatenated
//
// FinalizeKlpRelocations (klp_finalize.hpp) reads the table from the .ko,
// writes the real .klp.rela sections and .klp.sym symbols, and drops the
// table. The place bytes themselves are left zero, as the x86 loader wants
// (apply_relocate_add refuses a non-zero target).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp::patchbuild::generate {

// Named .note.* because modpost warns about any other non-allocated section
// it does not know (scripts/mod/modpost.c, section_white_list); they are
// SHT_PROGBITS all the same.
inline constexpr std::string_view kSideTableSection = ".note.fleetpatch.klp_relocs";
inline constexpr std::string_view kSideTableRelaSection = ".rela.note.fleetpatch.klp_relocs";
inline constexpr std::string_view kSideStringsSection = ".note.fleetpatch.klp_strs";
inline constexpr std::size_t kSideEntrySize = 24;
inline constexpr std::size_t kSideNameOffset = 20;  // the u32 name offset within an entry

// From the kernel's include/uapi/linux/elf.h (glibc's elf.h lacks them).
inline constexpr uint64_t kShfRelaLivepatch = 0x00100000;
inline constexpr uint16_t kShnLivepatch = 0xff20;

// One livepatch relocation still to be made.
struct KlpRelocEntry {
  uint32_t type = 0;
  int64_t addend = 0;
  std::string symbol;  // ".klp.sym.vmlinux.saved_command_line,0"
};

// ".klp.sym.<object>.<name>,<sympos>" as klp_resolve_symbols() parses it.
std::string KlpSymbolName(std::string_view object, std::string_view name, uint32_t sympos);

// The <object> part of a .klp.sym name ("vmlinux", "lp_testmod"); errors when
// the name is not of that form.
Expected<std::string> KlpSymbolObject(std::string_view klp_symbol);

// Encodes entries (place left zero) and their string table.
struct EncodedSideTable {
  std::vector<uint8_t> entries;
  std::vector<uint8_t> strings;
};
EncodedSideTable EncodeSideTable(const std::vector<KlpRelocEntry>& entries);

// Decodes what EncodeSideTable wrote. Errors on a truncated table or a
// string offset out of range.
Expected<std::vector<KlpRelocEntry>> DecodeSideTable(std::string_view entries, std::string_view strings);

}  // namespace lp::patchbuild::generate
