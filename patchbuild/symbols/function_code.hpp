// One function of a rebuilt original object, as the comparison against the
// shipped kernel needs it: its bytes and which of them the linker fills in.
// Filled by the ELF stage (patchbuild/elf) from the function's section and
// its .rela section; kept free of libelf types so tests can build it by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lp::patchbuild::symbols {

// How the linker computes the value it writes: S + A - P (x86_64 PC32,
// PLT32) or S + A (64, 32S). Unknown kinds are masked but not resolved.
enum class RelocKind { kUnknown, kPcRelative, kAbsolute };

// Bytes [offset, offset + size) of the function are written by a
// relocation against `symbol` (e.g. R_X86_64_PLT32 -> "__fentry__", 4 bytes
// at offset 1). In the object they hold zeros; in vmlinux the resolved
// value. Only these bytes are excused from the byte comparison; with kind
// and addend the resolved value can be checked to name the same symbol.
struct RelocRange {
  std::uint64_t offset = 0;
  std::uint32_t size = 0;
  std::string symbol;  // a section symbol's name (".rodata.str1.1") is never in kallsyms
  RelocKind kind = RelocKind::kUnknown;
  std::int64_t addend = 0;
};

struct FunctionCode {
  std::string name;  // for messages: "cmdline_proc_show"
  std::vector<std::uint8_t> bytes;
  std::vector<RelocRange> relocs;
  // STB_WEAK in the object: a __weak default that the shipped kernel may
  // have replaced by an override (arch_report_meminfo, arch_dup_task_struct),
  // so a mismatch is expected and the message says so.
  bool weak = false;
};

}  // namespace lp::patchbuild::symbols
