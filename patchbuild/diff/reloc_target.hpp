// What a relocation designates, in terms that survive a rebuild.
//
// Raw relocations are not comparable between two builds: the same call to
// printk() is `printk-4` in both, but a string literal is `.rodata.str1.1+0x3c`
// in one and `+0x51` in the other once another string is added before it, and
// a static local is reached through its section symbol `.bss.counter.1-4`.
// RelocTarget normalises all of these to "symbol + offset", "string content",
// "constant bytes" or (last resort) "section + offset".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "patchbuild/elf/disassembler.hpp"
#include "patchbuild/elf/object_file.hpp"

namespace lp::patchbuild {

struct RelocTarget {
  enum class Kind { Null, Symbol, String, Constant, SectionOffset };
  Kind kind = Kind::Null;
  elf::Symbol* symbol = nullptr;          // Kind::Symbol (non-const: passes annotate it)
  const elf::Section* section = nullptr;  // String, Constant, SectionOffset
  int64_t offset = 0;                     // from symbol start, or within section
  std::string_view content;               // String (without NUL), Constant
};

// Resolves relocations of one ObjectFile. Holds pointers into it and into a
// Disassembler; both must outlive the resolver. Caches instruction
// boundaries per section, so it is not thread-safe.
class TargetResolver {
 public:
  TargetResolver(const elf::ObjectFile& obj, const elf::Disassembler& disasm)
      : obj_(obj), disasm_(disasm) {}

  RelocTarget Resolve(const elf::Section& where, const elf::Relocation& reloc);

  // Bytes to add to a PC-relative addend in code (see Arch::PcRelativeBias).
  int64_t Bias(const elf::Section& where, const elf::Relocation& reloc);

 private:
  using Boundaries = std::vector<std::pair<uint64_t, uint32_t>>;  // (offset, size)
  const Boundaries& InstructionsOf(const elf::Section& sec);

  const elf::ObjectFile& obj_;
  const elf::Disassembler& disasm_;
  std::map<const elf::Section*, Boundaries> insns_;
};

// True when `orig` (in the original object) and `patched` designate the same
// thing: twin symbols (or same-named undefined ones) at the same offset, the
// same string or constant content, or twin sections at the same offset.
bool SameTarget(const RelocTarget& orig, const RelocTarget& patched);

// Human form for reasons and the disassembly: "printk", "counter.1+0x4",
// "\"hello %d\\n\"", ".rodata+0x40".
std::string DescribeTarget(const RelocTarget& target);

}  // namespace lp::patchbuild
