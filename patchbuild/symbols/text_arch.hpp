// What the comparison with the shipped kernel must know about an
// instruction set: how Capstone decodes it, which call site ftrace rewrites
// at run time, and what padding between functions looks like. x86_64 is the
// only implementation; aarch64 would add text_arch_aarch64.cpp (its
// patchable-function-entry NOPs instead of a __fentry__ call) and one case
// in FindTextArch.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "patchbuild/symbols/function_code.hpp"

namespace lp::patchbuild::symbols {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

class TextArch {
 public:
  virtual ~TextArch() = default;

  virtual std::string_view Name() const = 0;
  virtual cs_arch CapstoneArch() const = 0;
  virtual cs_mode CapstoneMode() const = 0;

  // The whole instruction ftrace patches, when this relocation fills it:
  // on x86_64 the 5-byte `call __fentry__` that starts every traceable
  // function (reloc at offset 1 -> bytes 0..4).
  virtual std::optional<ByteRange> FtraceSite(const RelocRange& reloc) const = 0;

  // The forms that site may have in an image: the call itself, or the
  // 5-byte NOP it becomes when the build or boot turns tracing off.
  virtual bool IsFtraceSiteForm(std::span<const std::uint8_t> shipped) const = 0;

  // True when the site still is the call (so its relocation has a target).
  virtual bool IsFtraceCall(std::span<const std::uint8_t> shipped) const = 0;

  // Filler the linker and assembler put between functions (int3, nops).
  virtual bool IsPadding(const cs_insn& insn) const = 0;

  // Functions start on this boundary (16 on x86_64 6.1), so only the bytes
  // up to it after a function's end are its padding; past it may start code
  // that has no symbol (a __weak default overridden at link time).
  virtual std::uint64_t FunctionAlignment() const = 0;
};

// The implementation for an ELF e_machine, or nullptr. Singletons that live
// for the whole program.
const TextArch* FindTextArch(std::uint16_t e_machine);

// One flag per byte of code: true where a relocation or the ftrace site
// makes the byte unknowable from the object alone.
std::vector<bool> IgnoredBytes(const TextArch& arch, const FunctionCode& code);

}  // namespace lp::patchbuild::symbols
