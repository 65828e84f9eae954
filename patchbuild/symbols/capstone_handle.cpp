#include "patchbuild/symbols/capstone_handle.hpp"

#include <utility>

namespace lp::patchbuild::symbols {

Expected<CapstoneHandle> CapstoneHandle::Open(cs_arch arch, cs_mode mode) {
  csh handle = 0;
  if (cs_err err = cs_open(arch, mode, &handle); err != CS_ERR_OK) {
    return MakeError(ErrorCode::kInternal, std::string("capstone: ") + cs_strerror(err));
  }
  CapstoneHandle owner(handle);
  if (cs_err err = cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON); err != CS_ERR_OK) {
    return MakeError(ErrorCode::kInternal, std::string("capstone: ") + cs_strerror(err));
  }
  return owner;
}

CapstoneHandle::CapstoneHandle(CapstoneHandle&& other) noexcept
    : handle_(std::exchange(other.handle_, 0)) {}

CapstoneHandle& CapstoneHandle::operator=(CapstoneHandle&& other) noexcept {
  if (this != &other) {
    if (handle_) cs_close(&handle_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}

CapstoneHandle::~CapstoneHandle() {
  if (handle_) cs_close(&handle_);
}

Expected<CapstoneInsn> CapstoneInsn::Allocate(const CapstoneHandle& handle) {
  cs_insn* insn = cs_malloc(handle.get());
  if (!insn) return MakeError(ErrorCode::kInternal, "capstone: cs_malloc failed");
  return CapstoneInsn(insn);
}

CapstoneInsn::CapstoneInsn(CapstoneInsn&& other) noexcept
    : insn_(std::exchange(other.insn_, nullptr)) {}

CapstoneInsn& CapstoneInsn::operator=(CapstoneInsn&& other) noexcept {
  if (this != &other) {
    if (insn_) cs_free(insn_, 1);
    insn_ = std::exchange(other.insn_, nullptr);
  }
  return *this;
}

CapstoneInsn::~CapstoneInsn() {
  if (insn_) cs_free(insn_, 1);
}

bool CapstoneInsn::Decode(const CapstoneHandle& handle, std::span<const std::uint8_t> code,
                          std::uint64_t address) {
  const std::uint8_t* data = code.data();
  std::size_t size = code.size();
  return cs_disasm_iter(handle.get(), &data, &size, &address, insn_);
}

std::string CapstoneInsn::Text() const {
  std::string text = insn_->mnemonic;
  if (insn_->op_str[0] != '\0') text += std::string(" ") + insn_->op_str;
  return text;
}

}  // namespace lp::patchbuild::symbols
