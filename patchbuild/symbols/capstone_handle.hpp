// RAII owners for Capstone: a disassembler handle (cs_open/cs_close) and one
// instruction buffer (cs_malloc/cs_free) for cs_disasm_iter. Both are
// move-only; an instruction must not outlive the handle it was made with.
// Not thread-safe: use one handle per thread.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <span>
#include <string>

#include "common/error.hpp"

namespace lp::patchbuild::symbols {

class CapstoneHandle {
 public:
  // Detail mode on: instruction ids and groups are needed to tell padding
  // (nop, int3) from code.
  static Expected<CapstoneHandle> Open(cs_arch arch, cs_mode mode);

  CapstoneHandle(CapstoneHandle&& other) noexcept;
  CapstoneHandle& operator=(CapstoneHandle&& other) noexcept;
  CapstoneHandle(const CapstoneHandle&) = delete;
  CapstoneHandle& operator=(const CapstoneHandle&) = delete;
  ~CapstoneHandle();

  csh get() const { return handle_; }

 private:
  explicit CapstoneHandle(csh handle) : handle_(handle) {}
  csh handle_ = 0;
};

// One cs_insn from cs_malloc, reused for every decode.
class CapstoneInsn {
 public:
  static Expected<CapstoneInsn> Allocate(const CapstoneHandle& handle);

  CapstoneInsn(CapstoneInsn&& other) noexcept;
  CapstoneInsn& operator=(CapstoneInsn&& other) noexcept;
  CapstoneInsn(const CapstoneInsn&) = delete;
  CapstoneInsn& operator=(const CapstoneInsn&) = delete;
  ~CapstoneInsn();

  // Decodes one instruction at code[0] as if it sat at address; false when
  // the bytes are not a valid instruction.
  bool Decode(const CapstoneHandle& handle, std::span<const std::uint8_t> code,
              std::uint64_t address);

  const cs_insn& get() const { return *insn_; }
  // "mov rsi, qword ptr [rip + 0x1f06a5b]"
  std::string Text() const;

 private:
  explicit CapstoneInsn(cs_insn* insn) : insn_(insn) {}
  cs_insn* insn_ = nullptr;
};

}  // namespace lp::patchbuild::symbols
