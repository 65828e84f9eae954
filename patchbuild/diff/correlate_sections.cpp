// Section correlation, after symbols are paired.
//
// With -ffunction-sections -fdata-sections a section is named after what it
// holds (`.text.cmdline_proc_show`, `.bss.counter.1`), so pairing sections by
// name would inherit the renumbering problem of the symbols: `.bss.counter.1`
// may hold a different variable after the fix. Sections that hold a function
// or object therefore follow their symbols' twins; only sections without any
// (`.rodata.str1.1`, `.text`, `__ksymtab_strings`) pair by their unique name.
// Relocation sections and section symbols follow their section.
#include <map>

#include "patchbuild/diff/diff_context.hpp"

namespace lp::patchbuild {
namespace {

using elf::ObjectFile;
using elf::Section;

void Link(Section& o, Section& p) {
  o.twin = &p;
  p.twin = &o;
}

bool HoldsNamedSymbol(const Section& sec) {
  for (const elf::Symbol* sym : sec.symbols) {
    if (sym->IsFunction() || sym->IsObject()) return true;
  }
  return false;
}

void FollowSymbolTwins(DiffContext& ctx) {
  for (const auto& sym : ctx.patched.symbols()) {
    if (!sym->twin || !sym->section || !sym->twin->section) continue;
    if (!sym->IsFunction() && !sym->IsObject()) continue;
    Section& p = *sym->section;
    Section& o = *sym->twin->section;
    if (!p.twin && !o.twin) Link(o, p);
  }
}

std::map<std::string, std::vector<Section*>> UnpairedByName(const ObjectFile& obj) {
  std::map<std::string, std::vector<Section*>> index;
  for (const auto& sec : obj.sections()) {
    if (sec->index == 0 || sec->twin || sec->base || HoldsNamedSymbol(*sec)) continue;
    index[sec->name].push_back(sec.get());
  }
  return index;
}

void PairRemainingByName(DiffContext& ctx) {
  const auto orig = UnpairedByName(ctx.orig);
  const auto patched = UnpairedByName(ctx.patched);
  for (const auto& [name, olist] : orig) {
    auto it = patched.find(name);
    if (it != patched.end() && olist.size() == 1 && it->second.size() == 1) Link(*olist[0], *it->second[0]);
  }
}

void FollowBaseSections(const ObjectFile& obj) {
  for (const auto& sec : obj.sections()) {
    if (sec->base && sec->base->twin && sec->base->twin->rela) sec->twin = sec->base->twin->rela;
    if (sec->section_symbol && sec->twin && sec->twin->section_symbol) {
      sec->section_symbol->twin = sec->twin->section_symbol;
    }
  }
}

}  // namespace

Status CorrelateSections(DiffContext& ctx) {
  FollowSymbolTwins(ctx);
  PairRemainingByName(ctx);
  FollowBaseSections(ctx.orig);
  FollowBaseSections(ctx.patched);
  for (const auto& sec : ctx.patched.sections()) {
    if (sec->index != 0 && !sec->twin) sec->status = ChangeStatus::New;
  }
  return Ok();
}

}  // namespace lp::patchbuild
