// Last pass: copies the annotated graph into a DiffResult of plain values,
// and collects for each new or changed function what it references, which is
// what the generate stage needs to decide between copying a symbol along,
// keeping an ordinary undefined symbol, or emitting a klp relocation.
#include <algorithm>

#include "patchbuild/diff/diff_context.hpp"

namespace lp::patchbuild {
namespace {

using elf::Symbol;

const char* const kBindingNames[] = {"local", "global", "undefined"};
const char* const kKindNames[] = {"function", "object", "string", "section", "other"};

Binding BindingOf(const Symbol& s) {
  if (s.IsUndefined()) return Binding::Undefined;
  return s.IsLocal() ? Binding::Local : Binding::Global;
}

SymbolKind KindOf(const Symbol& s) {
  if (s.IsFunction()) return SymbolKind::Function;
  if (s.IsObject()) return SymbolKind::Object;
  return SymbolKind::Other;
}

SymbolRef RefOf(const RelocTarget& t) {
  SymbolRef ref;
  switch (t.kind) {
    case RelocTarget::Kind::Symbol:
      ref.name = t.symbol->name;
      ref.kind = KindOf(*t.symbol);
      ref.binding = BindingOf(*t.symbol);
      ref.status = t.symbol->IsUndefined() ? ChangeStatus::Same : t.symbol->status;
      break;
    case RelocTarget::Kind::String:
      ref.name = t.section->name;
      ref.kind = SymbolKind::StringLiteral;
      ref.binding = Binding::Local;
      ref.literal = std::string(t.content);
      break;
    default:
      ref.name = t.section->name;
      ref.kind = SymbolKind::Section;
      ref.binding = Binding::Local;
      ref.status = t.section->status;
      break;
  }
  return ref;
}

bool SameRef(const SymbolRef& a, const SymbolRef& b) {
  return a.name == b.name && a.kind == b.kind && a.literal == b.literal;
}

std::vector<SymbolRef> ReferencesOf(DiffContext& ctx, const Symbol& fn) {
  std::vector<SymbolRef> refs;
  const auto relocs = fn.section->RelocationsIn(fn.value, fn.value + std::max<uint64_t>(fn.size, 1));
  for (const elf::Relocation& r : relocs) {
    const RelocTarget t = ctx.patched_targets.Resolve(*fn.section, r);
    if (t.kind == RelocTarget::Kind::Null || t.symbol == &fn) continue;
    SymbolRef ref = RefOf(t);
    auto same = [&ref](const SymbolRef& r2) { return SameRef(ref, r2); };
    if (std::none_of(refs.begin(), refs.end(), same)) refs.push_back(std::move(ref));
  }
  return refs;
}

std::string ReasonOf(const DiffContext& ctx, const Symbol& s) {
  if (s.status == ChangeStatus::New) return s.IsFunction() ? "new function" : "new data";
  auto it = ctx.reasons.find(&s);
  return it == ctx.reasons.end() ? "" : it->second;
}

FunctionDiff FunctionOf(DiffContext& ctx, const Symbol& fn) {
  FunctionDiff f;
  f.name = fn.name;
  f.status = fn.status;
  f.section = fn.section->name;
  f.size = fn.size;
  f.global = !fn.IsLocal();
  f.reason = ReasonOf(ctx, fn);
  if (fn.twin) {
    f.original_size = fn.twin->size;
    if (fn.twin->name != fn.name) f.original_name = fn.twin->name;
  }
  if (fn.status != ChangeStatus::Same) f.references = ReferencesOf(ctx, fn);
  return f;
}

DataDiff DataOf(const DiffContext& ctx, const Symbol& obj) {
  DataDiff d;
  d.name = obj.name;
  d.status = obj.status;
  d.section = obj.section->name;
  d.size = obj.size;
  d.original_size = obj.twin ? obj.twin->size : 0;
  d.global = !obj.IsLocal();
  d.writable = obj.section->IsWritable();
  d.reason = ReasonOf(ctx, obj);
  return d;
}

}  // namespace

const char* BindingName(Binding b) { return kBindingNames[static_cast<int>(b)]; }
const char* SymbolKindName(SymbolKind k) { return kKindNames[static_cast<int>(k)]; }

bool DiffResult::HasChanges() const {
  return !data.empty() || !problems.empty() || !ChangedFunctions().empty();
}

std::vector<const FunctionDiff*> DiffResult::ChangedFunctions() const {
  std::vector<const FunctionDiff*> out;
  for (const auto& f : functions) {
    if (f.status != ChangeStatus::Same) out.push_back(&f);
  }
  return out;
}

const FunctionDiff* DiffResult::FindFunction(const std::string& name) const {
  for (const auto& f : functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

DiffResult BuildResult(DiffContext& ctx) {
  DiffResult result;
  result.original_path = ctx.orig.path().string();
  result.patched_path = ctx.patched.path().string();
  result.arch = std::string(ctx.patched.arch().Name());
  for (const auto& sym : ctx.patched.symbols()) {
    if (!sym->section) continue;
    if (sym->IsFunction()) result.functions.push_back(FunctionOf(ctx, *sym));
    if (sym->IsObject() && sym->status != ChangeStatus::Same) result.data.push_back(DataOf(ctx, *sym));
  }
  for (const auto& sym : ctx.orig.symbols()) {
    if (sym->IsFunction() && sym->section && !sym->twin) result.removed_functions.push_back(sym->name);
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(result.functions.begin(), result.functions.end(), by_name);
  std::sort(result.data.begin(), result.data.end(), by_name);
  result.problems = ctx.problems;
  result.warnings = ctx.warnings;
  return result;
}

}  // namespace lp::patchbuild
