// The one place that maps an ELF e_machine to its Arch implementation.
#include <elf.h>

#include "patchbuild/elf/arch.hpp"

namespace lp::patchbuild::elf {

const Arch& X86_64Arch();  // arch_x86_64.cpp

const Arch* FindArch(uint16_t e_machine) {
  switch (e_machine) {
    case EM_X86_64:
      return &X86_64Arch();
    default:
      return nullptr;  // aarch64: add arch_aarch64.cpp and a case here
  }
}

}  // namespace lp::patchbuild::elf
