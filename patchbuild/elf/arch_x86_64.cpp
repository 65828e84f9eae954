// x86_64 implementation of Arch. Relocation facts come from the x86-64 psABI
// (and linux/arch/x86/include/asm/elf.h): the kernel is built with
// -mcmodel=kernel, so absolute references are R_X86_64_32S, calls are
// R_X86_64_PLT32 (PC32 before binutils 2.31) and __fentry__ calls from
// -mfentry are plain `call __fentry__` (GOTPCRELX in userspace PIE builds).
#include <elf.h>

#include "patchbuild/elf/arch.hpp"

namespace lp::patchbuild::elf {
namespace {

class X86_64 final : public Arch {
 public:
  std::string_view Name() const override { return "x86_64"; }
  uint16_t Machine() const override { return EM_X86_64; }

  unsigned RelocWidth(uint32_t type) const override {
    switch (type) {
      case R_X86_64_NONE:
        return 0;
      case R_X86_64_8:
      case R_X86_64_PC8:
        return 1;
      case R_X86_64_16:
      case R_X86_64_PC16:
        return 2;
      case R_X86_64_32:
      case R_X86_64_32S:
      case R_X86_64_PC32:
      case R_X86_64_PLT32:
      case R_X86_64_GOTPCREL:
      case R_X86_64_GOTPCRELX:
      case R_X86_64_REX_GOTPCRELX:
      case R_X86_64_GOT32:
      case R_X86_64_TPOFF32:
      case R_X86_64_DTPOFF32:
      case R_X86_64_GOTTPOFF:
      case R_X86_64_TLSGD:
      case R_X86_64_TLSLD:
        return 4;
      default:
        return 8;  // R_X86_64_64, PC64, GOTOFF64 ... and the conservative default
    }
  }

  bool IsPcRelative(uint32_t type) const override {
    switch (type) {
      case R_X86_64_PC8:
      case R_X86_64_PC16:
      case R_X86_64_PC32:
      case R_X86_64_PC64:
      case R_X86_64_PLT32:
      case R_X86_64_GOTPCREL:
      case R_X86_64_GOTPCRELX:
      case R_X86_64_REX_GOTPCRELX:
      case R_X86_64_GOTTPOFF:
      case R_X86_64_TLSGD:
      case R_X86_64_TLSLD:
        return true;
      default:
        return false;
    }
  }

  int64_t PcRelativeBias(uint32_t type, uint64_t reloc_offset, uint64_t insn_address,
                         uint64_t insn_size) const override {
    if (!IsPcRelative(type)) return 0;
    const uint64_t insn_end = insn_address + insn_size;
    if (reloc_offset >= insn_end) return 0;  // not inside: leave the addend alone
    return static_cast<int64_t>(insn_end - reloc_offset);
  }

  std::string RelocTypeName(uint32_t type) const override {
    switch (type) {
      case R_X86_64_NONE: return "R_X86_64_NONE";
      case R_X86_64_64: return "R_X86_64_64";
      case R_X86_64_PC32: return "R_X86_64_PC32";
      case R_X86_64_GOT32: return "R_X86_64_GOT32";
      case R_X86_64_PLT32: return "R_X86_64_PLT32";
      case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
      case R_X86_64_32: return "R_X86_64_32";
      case R_X86_64_32S: return "R_X86_64_32S";
      case R_X86_64_16: return "R_X86_64_16";
      case R_X86_64_PC16: return "R_X86_64_PC16";
      case R_X86_64_8: return "R_X86_64_8";
      case R_X86_64_PC8: return "R_X86_64_PC8";
      case R_X86_64_PC64: return "R_X86_64_PC64";
      case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
      case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
      default: return "type " + std::to_string(type);
    }
  }

  cs_arch CapstoneArch() const override { return CS_ARCH_X86; }
  cs_mode CapstoneMode() const override { return CS_MODE_64; }
};

}  // namespace

const Arch& X86_64Arch() {
  static const X86_64 arch;
  return arch;
}

}  // namespace lp::patchbuild::elf
