// Architecture seam of the ELF model. Everything the diff needs to know about
// an instruction set lives behind this interface (relocation widths, which
// relocations are PC-relative, how Capstone decodes it), so the correlate and
// compare passes stay arch-neutral. x86_64 is the only implementation today;
// aarch64 would add arch_aarch64.cpp and one line in FindArch().
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lp::patchbuild::elf {

class Arch {
 public:
  virtual ~Arch() = default;

  // "x86_64": used in messages and reports.
  virtual std::string_view Name() const = 0;
  // The ELF e_machine this implementation handles (EM_X86_64 ...).
  virtual uint16_t Machine() const = 0;

  // How many bytes of the section the linker overwrites for a relocation of
  // this type. Those bytes are masked before two functions' code is compared.
  // Unknown types report 8, masking conservatively: the relocations
  // themselves are still compared.
  virtual unsigned RelocWidth(uint32_t type) const = 0;

  // True when the relocated value is relative to the place (S + A - P).
  virtual bool IsPcRelative(uint32_t type) const = 0;

  // How much to add to a PC-relative addend found in code to get the offset
  // it really designates in the target. On x86 the CPU adds the address of
  // the *next* instruction, so `lea .LC0(%rip),%rdi` carries addend -4 and
  // `cmpb $0x1,foo(%rip)` carries -5: the bias is insn_end - reloc_offset.
  virtual int64_t PcRelativeBias(uint32_t type, uint64_t reloc_offset, uint64_t insn_address,
                                 uint64_t insn_size) const = 0;

  // "R_X86_64_PLT32" (or "type 42" when unknown).
  virtual std::string RelocTypeName(uint32_t type) const = 0;

  // Capstone configuration for disassembling this architecture.
  virtual cs_arch CapstoneArch() const = 0;
  virtual cs_mode CapstoneMode() const = 0;
};

// The implementation for an ELF e_machine, or nullptr when unsupported.
// Returned objects are immutable singletons that live for the whole program.
const Arch* FindArch(uint16_t e_machine);

}  // namespace lp::patchbuild::elf
