// Changes that are only a source line number, which must not make a
// function (or a debug descriptor) count as changed.
//
// A fix that adds lines to a file shifts every __LINE__ below it. The
// kernel bakes __LINE__ into three kinds of places:
// 1. WARN()/BUG() entries in __bug_table (arch/x86/include/asm/bug.h: a
//    12-byte entry: bug_addr and file as relative pointers, then a 16-bit
//    line and 16-bit flags). The table is not part of the function's bytes,
//    and the diff compares functions and named data only, so those shifts are
//    ignored by construction (the test covers it).
// 2. A line passed as an argument: might_sleep() -> __might_sleep(__FILE__,
//    __LINE__), ext4's ext4_error() -> __ext4_error(sb, __func__, __LINE__,
//    ...). The code then differs in one immediate (`mov esi, 0x2a` ->
//    `mov esi, 0x2d`). It is ignored only for the functions listed below, in
//    the argument register that carries the line, and only when the next
//    call is that function: the same immediate passed to anything else is a
//    real change (`foo(x, 5)` -> `foo(x, 6)`).
// 3. pr_debug()/dev_dbg() descriptors (struct _ddebug in __dyndbg, with
//    CONFIG_DYNAMIC_DEBUG): writable data whose `lineno:18` bit-field moves.
//    Without this, shifting a pr_debug would read as "initial value of
//    existing data changed" and refuse the patch.
// The running kernel keeps reporting the old line numbers for code that is
// not replaced; that is the accepted price.
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "patchbuild/diff/diff_context.hpp"

namespace lp::patchbuild {
namespace {

using elf::Instruction;
using elf::Symbol;

struct LineTaker {
  std::string_view function;
  int line_arg;  // 0-based argument index of the line number
};

// Kernel functions that take a __LINE__ argument (6.1).
constexpr LineTaker kLineTakers[] = {
    {"__might_sleep", 1},
    {"__might_resched", 1},
    {"__might_fault", 1},
    {"__cant_sleep", 1},
    {"__cant_migrate", 1},
    {"lockdep_rcu_suspicious", 1},
    {"warn_slowpath_fmt", 1},
    {"__ext4_error", 2},
    {"__ext4_error_inode", 2},
    {"__ext4_error_file", 2},
    {"__ext4_std_error", 2},
    {"__ext4_warning", 2},
    {"__ext4_warning_inode", 2},
    {"__ext4_grp_locked_error", 1},
    {"__ext4_journal_start_sb", 1},
    {"__ext4_journal_stop", 1},
    {"__ext4_journal_get_write_access", 1},
    {"__ext4_journal_get_create_access", 1},
    {"__ext4_handle_dirty_metadata", 1},
    {"__ext4_forget", 1},
    {"__btrfs_handle_fs_error", 2},
    {"__btrfs_abort_transaction", 2},
};

// x86_64 SysV: the registers of the first six integer arguments, as
// Capstone's Intel syntax names their 32- and 64-bit forms.
constexpr std::string_view kArgRegs32[] = {"edi", "esi", "edx", "ecx", "r8d", "r9d"};
constexpr std::string_view kArgRegs64[] = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};

// The argument index a `mov REG, imm` loads, or -1.
int ImmediateArgument(const Instruction& insn) {
  if (insn.mnemonic != "mov") return -1;
  const size_t comma = insn.operands.find(", ");
  if (comma == std::string::npos) return -1;
  const std::string_view reg(insn.operands.data(), comma);
  const std::string_view value(insn.operands.data() + comma + 2);
  if (value.empty() || !(value[0] >= '0' && value[0] <= '9')) return -1;  // not an immediate
  for (int i = 0; i < 6; ++i)
    if (reg == kArgRegs32[i] || reg == kArgRegs64[i]) return i;
  return -1;
}

// The function the first call (or tail jump) after `from` reaches, through
// the relocation in its operand; empty when there is none nearby.
std::string NextCallee(const std::vector<Instruction>& insns, size_t from, const Symbol& fn) {
  constexpr size_t kWindow = 16;  // the argument set-up right before a call
  for (size_t i = from + 1; i < insns.size() && i <= from + kWindow; ++i) {
    const Instruction& insn = insns[i];
    if (insn.mnemonic != "call" && insn.mnemonic != "jmp") continue;
    for (const elf::Relocation& r : fn.section->RelocationsIn(insn.address, insn.address + insn.size))
      if (r.symbol && r.symbol->type != STT_SECTION) return r.symbol->name;
    if (insn.mnemonic == "call") return {};
  }
  return {};
}

bool TakesLineIn(const std::string& callee, int arg) {
  return std::any_of(std::begin(kLineTakers), std::end(kLineTakers),
                     [&](const LineTaker& t) { return t.function == callee && t.line_arg == arg; });
}

bool SameBytes(const Symbol& o, const Symbol& p, const Instruction& io, const Instruction& ip) {
  const auto ob = o.Bytes().subspan(io.address - o.value, io.size);
  const auto pb = p.Bytes().subspan(ip.address - p.value, ip.size);
  return std::equal(ob.begin(), ob.end(), pb.begin(), pb.end());
}

bool OnlyLineArgumentsDiffer(const DiffContext& ctx, const Symbol& o, const Symbol& p) {
  if (ctx.patched.arch().Machine() != EM_X86_64) return false;
  const auto oi = ctx.disasm.Decode(o.Bytes(), o.value);
  const auto pi = ctx.disasm.Decode(p.Bytes(), p.value);
  if (oi.size() != pi.size()) return false;
  bool any = false;
  for (size_t i = 0; i < oi.size(); ++i) {
    if (oi[i].size != pi[i].size || oi[i].mnemonic != pi[i].mnemonic) return false;
    if (SameBytes(o, p, oi[i], pi[i])) continue;
    const int arg = ImmediateArgument(pi[i]);
    if (arg < 0 || arg != ImmediateArgument(oi[i])) return false;
    const std::string callee = NextCallee(pi, i, p);
    if (callee.empty() || callee != NextCallee(oi, i, o) || !TakesLineIn(callee, arg)) return false;
    any = true;
  }
  return any;
}

// struct _ddebug (include/linux/dynamic_debug.h): four pointers, then
// `unsigned int lineno:18` in the low bits of the next 32-bit word.
constexpr size_t kDdebugLineWord = 4 * 8;
constexpr uint32_t kDdebugLineMask = (1u << 18) - 1;

bool OnlyDdebugLineDiffers(const Symbol& o, const Symbol& p) {
  if (!p.section || p.section->name != "__dyndbg" || o.size != p.size) return false;
  const auto ob = o.Bytes();
  const auto pb = p.Bytes();
  if (ob.size() != pb.size() || ob.size() < kDdebugLineWord + 4) return false;
  for (size_t i = 0; i < ob.size(); ++i) {
    if (i >= kDdebugLineWord && i < kDdebugLineWord + 4) continue;
    if (ob[i] != pb[i]) return false;
  }
  uint32_t ow = 0, pw = 0;
  std::memcpy(&ow, ob.data() + kDdebugLineWord, 4);
  std::memcpy(&pw, pb.data() + kDdebugLineWord, 4);
  return (ow & ~kDdebugLineMask) == (pw & ~kDdebugLineMask);
}

}  // namespace

bool OnlyLineNumbersDiffer(const DiffContext& ctx, const Symbol& o, const Symbol& p) {
  if (o.size != p.size) return false;
  if (p.IsFunction()) return OnlyLineArgumentsDiffer(ctx, o, p);
  if (p.IsObject()) return OnlyDdebugLineDiffers(o, p);
  return false;
}

}  // namespace lp::patchbuild
