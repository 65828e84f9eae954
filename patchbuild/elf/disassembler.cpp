#include "patchbuild/elf/disassembler.hpp"

#include <cstdio>

namespace lp::patchbuild::elf {

void Disassembler::HandleCloser::operator()(csh* h) const noexcept {
  cs_close(h);
  delete h;
}

Expected<Disassembler> Disassembler::Open(const Arch& arch) {
  auto handle = std::make_unique<csh>(0);
  if (cs_err err = cs_open(arch.CapstoneArch(), arch.CapstoneMode(), handle.get()); err != CS_ERR_OK) {
    return MakeError(ErrorCode::kInternal,
                     std::string("capstone cs_open(") + std::string(arch.Name()) + "): " + cs_strerror(err));
  }
  Disassembler d;
  d.handle_.reset(handle.release());
  d.insn_.reset(cs_malloc(*d.handle_));
  if (!d.insn_) return MakeError(ErrorCode::kInternal, "capstone cs_malloc failed");
  return d;
}

std::vector<Instruction> Disassembler::Decode(std::span<const uint8_t> code, uint64_t address) const {
  std::vector<Instruction> out;
  const uint8_t* ptr = code.data();
  size_t left = code.size();
  uint64_t pc = address;
  while (left > 0) {
    if (cs_disasm_iter(*handle_, &ptr, &left, &pc, insn_.get())) {
      out.push_back({insn_->address, insn_->size, insn_->mnemonic, insn_->op_str});
      continue;
    }
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", *ptr);
    out.push_back({pc, 1, ".byte", byte});
    ++ptr;
    --left;
    ++pc;
  }
  return out;
}

}  // namespace lp::patchbuild::elf
