// Capstone behind RAII: a Disassembler owns one csh (cs_open/cs_close) and
// one scratch cs_insn (cs_malloc/cs_free), so no caller ever frees Capstone
// memory by hand. Decoded instructions are copied out into plain structs that
// own their text and outlive the Disassembler.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/elf/arch.hpp"

namespace lp::patchbuild::elf {

struct Instruction {
  uint64_t address = 0;  // offset within the section being decoded
  uint32_t size = 0;
  std::string mnemonic;  // "call", or ".byte" for undecodable bytes
  std::string operands;  // "0x10", "rip + 0x0" ...
};

class Disassembler {
 public:
  // Opens Capstone for `arch`. The Arch must outlive the Disassembler (the
  // registry in FindArch() returns program-lifetime singletons).
  static Expected<Disassembler> Open(const Arch& arch);

  Disassembler(Disassembler&&) noexcept = default;
  Disassembler& operator=(Disassembler&&) noexcept = default;

  // Decodes all of `code`, which starts at section offset `address`. Bytes
  // Capstone cannot decode (data in .text, an unknown opcode) become one
  // ".byte" entry each, so the listing always covers every byte.
  std::vector<Instruction> Decode(std::span<const uint8_t> code, uint64_t address) const;

 private:
  struct HandleCloser {
    void operator()(csh* h) const noexcept;
  };
  struct InsnFree {
    void operator()(cs_insn* insn) const noexcept { cs_free(insn, 1); }
  };
  Disassembler() = default;

  std::unique_ptr<csh, HandleCloser> handle_;
  std::unique_ptr<cs_insn, InsnFree> insn_;
};

}  // namespace lp::patchbuild::elf
