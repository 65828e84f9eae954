// Normalising relocation targets. See reloc_target.hpp for why.
#include "patchbuild/diff/reloc_target.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace lp::patchbuild {
namespace {

// The NUL-terminated string at `offset` of a mergeable string section, without
// reading past the section (a malformed object may lack the terminator).
std::string_view StringAt(const elf::Section& sec, int64_t offset) {
  if (offset < 0 || static_cast<uint64_t>(offset) >= sec.data.size()) return {};
  const auto* begin = reinterpret_cast<const char*>(sec.data.data()) + offset;
  const size_t max = sec.data.size() - static_cast<size_t>(offset);
  return {begin, strnlen(begin, max)};
}

std::string_view BytesAt(const elf::Section& sec, int64_t offset, uint64_t n) {
  if (offset < 0 || static_cast<uint64_t>(offset) >= sec.data.size()) return {};
  n = std::min<uint64_t>(n, sec.data.size() - static_cast<uint64_t>(offset));
  return {reinterpret_cast<const char*>(sec.data.data()) + offset, n};
}

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s0x%llx", v < 0 ? "-" : "+",
                static_cast<unsigned long long>(v < 0 ? -v : v));
  return buf;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

const TargetResolver::Boundaries& TargetResolver::InstructionsOf(const elf::Section& sec) {
  auto [it, inserted] = insns_.try_emplace(&sec);
  if (!inserted) return it->second;
  // Decode function by function: padding between functions, or a jump table
  // in .text, must not throw the decoder out of step for the next function.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const elf::Symbol* sym : sec.symbols) {
    if (sym->IsFunction() && sym->size > 0) ranges.emplace_back(sym->value, sym->size);
  }
  if (ranges.empty()) ranges.emplace_back(0, sec.data.size());
  for (auto [start, size] : ranges) {
    if (start >= sec.data.size()) continue;
    const uint64_t n = std::min<uint64_t>(size, sec.data.size() - start);
    for (const auto& insn : disasm_.Decode(sec.data.subspan(start, n), start)) {
      it->second.emplace_back(insn.address, insn.size);
    }
  }
  std::sort(it->second.begin(), it->second.end());
  return it->second;
}

int64_t TargetResolver::Bias(const elf::Section& where, const elf::Relocation& reloc) {
  const elf::Arch& arch = obj_.arch();
  if (!where.IsCode() || !arch.IsPcRelative(reloc.type)) return 0;
  const Boundaries& insns = InstructionsOf(where);
  auto it = std::upper_bound(insns.begin(), insns.end(), std::make_pair(reloc.offset, UINT32_MAX));
  if (it != insns.begin()) {
    --it;
    if (reloc.offset < it->first + it->second) {
      return arch.PcRelativeBias(reloc.type, reloc.offset, it->first, it->second);
    }
  }
  // Not inside a decoded instruction: assume the field ends the instruction.
  return arch.RelocWidth(reloc.type);
}

RelocTarget TargetResolver::Resolve(const elf::Section& where, const elf::Relocation& reloc) {
  RelocTarget t;
  elf::Symbol* sym = reloc.symbol;
  if (!sym || sym->index == 0) return t;
  const int64_t offset = reloc.addend + Bias(where, reloc);
  const elf::Section* sec = sym->section;
  if (sec && sec->IsMergeableStrings()) {
    t.kind = RelocTarget::Kind::String;
    t.section = sec;
    t.offset = static_cast<int64_t>(sym->value) + offset;
    t.content = StringAt(*sec, t.offset);
    return t;
  }
  if (sec && sec->IsMergeableConstants()) {
    t.kind = RelocTarget::Kind::Constant;
    t.section = sec;
    t.offset = static_cast<int64_t>(sym->value) + offset;
    t.content = BytesAt(*sec, t.offset, sec->header.sh_entsize);
    return t;
  }
  // Section symbols and assembler labels stand for "an offset in a section":
  // turn that into the function or object that covers it, e.g.
  // `.bss.counter.1-4` in `mov .bss.counter.1(%rip),%eax` is counter.1+0.
  const bool anonymous = sym->IsSectionSymbol() || (sym->type == STT_NOTYPE && sym->IsLocal());
  if (sec && anonymous) {
    const int64_t in_section = static_cast<int64_t>(sym->value) + offset;
    elf::Symbol* owner = in_section >= 0 ? sec->SymbolAt(static_cast<uint64_t>(in_section)) : nullptr;
    if (owner) {
      t.kind = RelocTarget::Kind::Symbol;
      t.symbol = owner;
      t.offset = in_section - static_cast<int64_t>(owner->value);
    } else {
      t.kind = RelocTarget::Kind::SectionOffset;
      t.section = sec;
      t.offset = in_section;
    }
    return t;
  }
  t.kind = RelocTarget::Kind::Symbol;
  t.symbol = sym;
  t.offset = offset;
  return t;
}

bool SameTarget(const RelocTarget& o, const RelocTarget& p) {
  if (o.kind != p.kind) return false;
  switch (o.kind) {
    case RelocTarget::Kind::Null:
      return true;
    case RelocTarget::Kind::String:
    case RelocTarget::Kind::Constant:
      return o.content == p.content;
    case RelocTarget::Kind::SectionOffset:
      return o.section->twin == p.section && o.offset == p.offset;
    case RelocTarget::Kind::Symbol:
      if (o.offset != p.offset) return false;
      if (o.symbol->twin) return o.symbol->twin == p.symbol;
      return o.symbol->IsUndefined() && p.symbol->IsUndefined() && o.symbol->name == p.symbol->name;
  }
  return false;
}

std::string DescribeTarget(const RelocTarget& t) {
  switch (t.kind) {
    case RelocTarget::Kind::Null:
      return "(none)";
    case RelocTarget::Kind::String:
      return Quoted(t.content);
    case RelocTarget::Kind::Constant:
      return t.section->name + Hex(t.offset);
    case RelocTarget::Kind::SectionOffset:
      return t.section->name + Hex(t.offset);
    case RelocTarget::Kind::Symbol:
      return t.offset == 0 ? t.symbol->name : t.symbol->name + Hex(t.offset);
  }
  return "?";
}

}  // namespace lp::patchbuild
