// Changes that spread from one symbol to another after comparison.
//
// 1. A cold part cannot be patched alone: `tcp_sendmsg_locked.cold` is only
//    entered by a jump from `tcp_sendmsg_locked`, and livepatch redirects
//    function entries. When the cold part differs, the parent must be
//    replaced (and takes the new cold part along).
// 2. A function that reads a changed read-only object (a const lookup table
//    whose values the fix corrects) compares equal by itself, since it still
//    refers to "the same" table; it must be replaced so that it refers to
//    the new copy.
#include "patchbuild/diff/diff_context.hpp"
#include "patchbuild/diff/names.hpp"

namespace lp::patchbuild {
namespace {

using elf::Symbol;

void MarkChanged(DiffContext& ctx, Symbol& fn, const std::string& why) {
  if (fn.status != ChangeStatus::Same) return;
  fn.status = ChangeStatus::Changed;
  ctx.reasons[&fn] = why;
}

void PropagateColdParts(DiffContext& ctx) {
  for (const auto& sym : ctx.patched.symbols()) {
    if (!sym->IsFunction() || sym->status == ChangeStatus::Same) continue;
    const std::string parent = ColdParentName(sym->name);
    if (parent.empty()) continue;
    Symbol* p = ctx.patched.FindSymbol(parent);
    if (p && p->IsFunction()) MarkChanged(ctx, *p, "its cold part " + sym->name + " changed");
  }
}

void PropagateReadOnlyData(DiffContext& ctx) {
  for (const auto& sym : ctx.patched.symbols()) {
    if (!sym->IsObject() || sym->status != ChangeStatus::Changed || !sym->section) continue;
    if (sym->section->IsWritable()) continue;  // already a problem, see CompareData
    auto it = ctx.patched_users.find(sym.get());
    if (it == ctx.patched_users.end()) continue;
    for (Symbol* user : it->second) {
      if (user->IsFunction()) MarkChanged(ctx, *user, "reads changed data " + sym->name);
    }
  }
}

void SetSectionStatus(DiffContext& ctx) {
  for (const auto& sec : ctx.patched.sections()) {
    if (sec->status == ChangeStatus::New) continue;
    for (const Symbol* sym : sec->symbols) {
      if (sym->status != ChangeStatus::Same) sec->status = ChangeStatus::Changed;
    }
  }
}

}  // namespace

Status PropagateChanges(DiffContext& ctx) {
  PropagateReadOnlyData(ctx);
  PropagateColdParts(ctx);  // after data: a cold part may read the table too
  SetSectionStatus(ctx);
  return Ok();
}

}  // namespace lp::patchbuild
