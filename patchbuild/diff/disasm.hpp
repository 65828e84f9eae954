// Capstone listings of functions with their relocations shown where they
// apply, for `patchbuild diff --disasm`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "patchbuild/diff/reloc_target.hpp"
#include "patchbuild/elf/disassembler.hpp"
#include "patchbuild/elf/object_file.hpp"

namespace lp::patchbuild {

// One line per instruction: "  1b: call    0x20  ; printk-0x4". A relocation
// is printed on the instruction whose bytes it patches, as symbol+addend
// (the raw ELF form), followed by what it really designates when that
// differs (a string literal's text, the static local behind a section symbol).
std::vector<std::string> DisassembleFunction(const elf::Symbol& fn, const elf::Disassembler& disasm,
                                             TargetResolver& targets);

// Rows of (left index, right index) pairing two listings by their longest
// common subsequence of instruction texts; -1 marks a line with no partner.
std::vector<std::pair<int, int>> AlignListings(const std::vector<std::string>& left,
                                               const std::vector<std::string>& right);

// Two listings in columns, `width` characters for the left one, aligned by
// AlignListings. Marks: '|' paired but different, '<' only in the original,
// '>' only in the patched version.
std::string SideBySide(const std::string& left_title, const std::vector<std::string>& left,
                       const std::string& right_title, const std::vector<std::string>& right, size_t width);

}  // namespace lp::patchbuild
