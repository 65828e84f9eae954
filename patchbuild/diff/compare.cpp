// Comparison of paired functions and data objects.
//
// Two builds of an unchanged function differ in exactly the bytes the linker
// will fill in later: `call printk` is `e8 00 00 00 00` plus a relocation in
// both, but a reference to a string literal or static local carries a
// different addend whenever something was added before it. So bytes covered
// by relocations are masked, and the relocations are compared separately by
// what they designate (see reloc_target.hpp), never by raw offset or addend.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "patchbuild/diff/diff_context.hpp"

namespace lp::patchbuild {
namespace {

using elf::Relocation;
using elf::Symbol;

// What to do instead, for both refusals of CompareData: leave the existing
// variable as it is and keep the new state next to it.
constexpr const char* kDataRemedy =
    "keep the old definition and use a shadow variable or a pre-patch callback instead (kmod/README.md)";

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::span<const Relocation> RelocationsOf(const Symbol& sym) {
  return sym.section->RelocationsIn(sym.value, sym.value + std::max<uint64_t>(sym.size, 1));
}

// Marks the bytes of `sym` that relocations will overwrite.
std::vector<bool> RelocatedBytes(const Symbol& sym, const elf::Arch& arch) {
  std::vector<bool> mask(sym.size, false);
  for (const Relocation& r : RelocationsOf(sym)) {
    const uint64_t begin = r.offset - sym.value;
    const uint64_t end = std::min<uint64_t>(begin + arch.RelocWidth(r.type), sym.size);
    for (uint64_t i = begin; i < end; ++i) mask[i] = true;
  }
  return mask;
}

std::optional<std::string> CompareBytes(const Symbol& o, const Symbol& p, const elf::Arch& arch) {
  if (o.section->IsNoBits() != p.section->IsNoBits()) {
    return std::string("moved between zero-initialised and initialised storage (") + o.section->name +
           " -> " + p.section->name + ")";
  }
  const auto ob = o.Bytes();
  const auto pb = p.Bytes();
  if (ob.size() != pb.size()) return "size of contents differs";
  const auto omask = RelocatedBytes(o, arch);
  const auto pmask = RelocatedBytes(p, arch);
  for (size_t i = 0; i < ob.size(); ++i) {
    const bool masked = (i < omask.size() && omask[i]) || (i < pmask.size() && pmask[i]);
    if (!masked && ob[i] != pb[i]) return (o.IsFunction() ? "code differs at +" : "contents differ at +") + Hex(i);
  }
  return std::nullopt;
}

std::optional<std::string> CompareRelocations(DiffContext& ctx, const Symbol& o, const Symbol& p) {
  const auto orels = RelocationsOf(o);
  const auto prels = RelocationsOf(p);
  if (orels.size() != prels.size()) {
    return "references changed (" + std::to_string(orels.size()) + " -> " + std::to_string(prels.size()) +
           " relocations)";
  }
  const elf::Arch& arch = ctx.patched.arch();
  for (size_t i = 0; i < orels.size(); ++i) {
    const Relocation& ro = orels[i];
    const Relocation& rp = prels[i];
    const std::string where = "+" + Hex(rp.offset - p.value);
    if (ro.offset - o.value != rp.offset - p.value) return "reference moved to " + where;
    if (ro.type != rp.type) {
      return "relocation type at " + where + ": " + arch.RelocTypeName(ro.type) + " -> " +
             arch.RelocTypeName(rp.type);
    }
    const RelocTarget to = ctx.orig_targets.Resolve(*o.section, ro);
    const RelocTarget tp = ctx.patched_targets.Resolve(*p.section, rp);
    if (!SameTarget(to, tp)) {
      return "reference at " + where + ": " + DescribeTarget(to) + " -> " + DescribeTarget(tp);
    }
  }
  return std::nullopt;
}

std::optional<std::string> CompareSymbols(DiffContext& ctx, const Symbol& o, const Symbol& p) {
  if (o.size != p.size) return "size " + std::to_string(o.size) + " -> " + std::to_string(p.size);
  if (auto r = CompareBytes(o, p, ctx.patched.arch())) {
    // Same references and only a shifted __LINE__ differs: no change.
    if (!CompareRelocations(ctx, o, p) && OnlyLineNumbersDiffer(ctx, o, p)) return std::nullopt;
    return r;
  }
  return CompareRelocations(ctx, o, p);
}

bool IsDefined(const Symbol& s, uint8_t type) { return s.type == type && s.section != nullptr; }

void CompareOne(DiffContext& ctx, Symbol& p) {
  if (!p.twin) {
    p.status = ChangeStatus::New;
    return;
  }
  if (!p.twin->section) {  // was undefined, is now defined here: new code or data
    p.status = ChangeStatus::New;
    return;
  }
  if (auto reason = CompareSymbols(ctx, *p.twin, p)) {
    p.status = ChangeStatus::Changed;
    ctx.reasons[&p] = *reason;
  } else {
    p.status = ChangeStatus::Same;
  }
}

}  // namespace

Status CompareFunctions(DiffContext& ctx) {
  for (const auto& sym : ctx.patched.symbols()) {
    if (IsDefined(*sym, STT_FUNC)) CompareOne(ctx, *sym);
  }
  return Ok();
}

// A livepatch replaces code, not the running kernel's data: a changed
// initial value of a writable variable (`static int max_retries = 3;` -> 5)
// would never reach the live copy, and a resized object would be accessed
// out of bounds by the patched code. Both are reported as problems (exit 2),
// as kpatch refuses them; shadow variables are the way to add state.
// Read-only data (a const table, a format string array) may change: the
// patched functions then refer to a new copy, see PropagateChanges.
Status CompareData(DiffContext& ctx) {
  for (const auto& sym : ctx.patched.symbols()) {
    if (!IsDefined(*sym, STT_OBJECT)) continue;
    CompareOne(ctx, *sym);
    if (sym->status != ChangeStatus::Changed) continue;
    const Symbol& o = *sym->twin;
    if (o.size != sym->size) {
      ctx.problems.push_back({sym->name, "the patch changes the size of existing data (" + std::to_string(o.size) +
                                             " -> " + std::to_string(sym->size) + " bytes): code of the running "
                                             "kernel still uses the old size; " + std::string(kDataRemedy)});
    } else if (sym->section->IsWritable() || o.section->IsWritable()) {
      ctx.problems.push_back({sym->name, "the patch changes the initial value of existing data (" +
                                             ctx.reasons[sym.get()] + "): the running kernel keeps its live "
                                             "value; " + std::string(kDataRemedy)});
    }
  }
  return Ok();
}

}  // namespace lp::patchbuild
