// Kernel tables that describe code entry by entry, kept for the copied
// functions only. Each entry's first field is a relocation to the code it
// describes (its anchor); the entry is kept when that code is copied.
//
//   __mcount_loc        8   ftrace call sites (the loader turns them to NOPs)
//   .orc_unwind_ip      4   ORC unwind table, parallel to .orc_unwind (6 bytes
//                           an entry, no relocations): without it a task
//                           sleeping in the new code has no reliable stack
//                           and blocks the livepatch transition
//   .return_sites, .retpoline_sites, .ibt_endbr_seal   4
//   __bug_table        12   WARN()/BUG() sites (6.1, relative pointers, BUGVERBOSE)
//   __jump_table       16   static branches
//   __ex_table         12   user-access fault fixups
//   .altinstructions   12   alternatives (replacement code in .altinstr_replacement)
//   .static_call_sites  8
//   .smp_locks          4   LOCK prefixes (atomic_long_inc_return), patched out on UP
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/elf/object_file.hpp"

namespace lp::patchbuild::generate {

struct FilteredTable {
  std::vector<uint8_t> bytes;  // the kept entries, in order
  // The kept entries' relocations with their offsets in `bytes`.
  std::vector<std::pair<const elf::Relocation*, uint64_t>> relocations;
  const elf::Section* paired = nullptr;  // .orc_unwind for .orc_unwind_ip
  std::vector<uint8_t> paired_bytes;
};

// nullopt when `sec` is not a special section, or none of its entries
// describes copied code. An error when a known table is malformed, or when
// an unknown anonymous allocated section (no object symbol of its own)
// points into copied code: dropping such a table could lose a fixup the
// code needs, so it is refused rather than guessed at.
Expected<std::optional<FilteredTable>> FilterSpecialSection(
    const elf::ObjectFile& obj, const elf::Section& sec,
    const std::function<bool(const elf::Section*)>& is_copied);

}  // namespace lp::patchbuild::generate
