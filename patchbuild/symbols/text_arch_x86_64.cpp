#include <elf.h>

#include <algorithm>
#include <array>

#include "patchbuild/symbols/text_arch.hpp"

namespace lp::patchbuild::symbols {
namespace {

// `call rel32` is e8 + 4 bytes; the relocation covers the 4 bytes.
constexpr std::uint64_t kCallSize = 5;
constexpr std::uint8_t kCallOpcode = 0xe8;
// The NOP ftrace_init() (or objtool --mnop) writes instead: nopl 0x0(%rax,%rax,1).
constexpr std::array<std::uint8_t, 5> kNop5 = {0x0f, 0x1f, 0x44, 0x00, 0x00};

class X86_64 final : public TextArch {
 public:
  std::string_view Name() const override { return "x86_64"; }
  cs_arch CapstoneArch() const override { return CS_ARCH_X86; }
  cs_mode CapstoneMode() const override { return CS_MODE_64; }

  std::optional<ByteRange> FtraceSite(const RelocRange& reloc) const override {
    if (reloc.symbol != "__fentry__" || reloc.offset < 1 || reloc.size != 4) return std::nullopt;
    return ByteRange{reloc.offset - 1, kCallSize};
  }

  bool IsFtraceSiteForm(std::span<const std::uint8_t> shipped) const override {
    if (shipped.size() != kCallSize) return false;
    return shipped[0] == kCallOpcode || std::equal(kNop5.begin(), kNop5.end(), shipped.begin());
  }

  bool IsFtraceCall(std::span<const std::uint8_t> shipped) const override {
    return shipped.size() == kCallSize && shipped[0] == kCallOpcode;
  }

  bool IsPadding(const cs_insn& insn) const override {
    return insn.id == X86_INS_NOP || insn.id == X86_INS_INT3;
  }

  std::uint64_t FunctionAlignment() const override { return 16; }
};

}  // namespace

const TextArch* FindTextArch(std::uint16_t e_machine) {
  static const X86_64 x86_64;
  if (e_machine == EM_X86_64) return &x86_64;
  return nullptr;
}

}  // namespace lp::patchbuild::symbols
