#include "patchbuild/diff/disasm.hpp"

#include <algorithm>
#include <cstdio>

namespace lp::patchbuild {
namespace {

std::string SymbolPlusAddend(const elf::Relocation& r) {
  char buf[32];
  const long long a = r.addend;
  if (a == 0) return r.symbol->name;
  std::snprintf(buf, sizeof buf, "%c0x%llx", a < 0 ? '-' : '+', static_cast<unsigned long long>(a < 0 ? -a : a));
  return r.symbol->name + buf;
}

std::string Annotation(const elf::Section& sec, const elf::Relocation& r, TargetResolver& targets) {
  std::string text = SymbolPlusAddend(r);
  const RelocTarget t = targets.Resolve(sec, r);
  const std::string real = DescribeTarget(t);
  if (t.kind != RelocTarget::Kind::Null && real != r.symbol->name) text += " = " + real;
  return text;
}

// Instruction text without the leading address column.
std::string Body(const std::string& line) {
  const size_t colon = line.find(": ");
  return colon == std::string::npos ? line : line.substr(colon + 2);
}

std::string Fit(const std::string& s, size_t width) {
  if (s.size() > width) return s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size(), ' ');
}

}  // namespace

std::vector<std::string> DisassembleFunction(const elf::Symbol& fn, const elf::Disassembler& disasm,
                                             TargetResolver& targets) {
  std::vector<std::string> lines;
  if (!fn.section) return lines;
  const auto relocs = fn.section->RelocationsIn(fn.value, fn.value + fn.size);
  for (const auto& insn : disasm.Decode(fn.Bytes(), fn.value)) {
    char head[48];
    std::snprintf(head, sizeof head, "%5llx: %-7s ", static_cast<unsigned long long>(insn.address - fn.value),
                  insn.mnemonic.c_str());
    std::string line = head + insn.operands;
    for (const auto& r : relocs) {
      if (r.offset >= insn.address && r.offset < insn.address + insn.size) {
        line += "  ; " + Annotation(*fn.section, r, targets);
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string SideBySide(const std::string& left_title, const std::vector<std::string>& left,
                       const std::string& right_title, const std::vector<std::string>& right, size_t width) {
  std::string out = Fit(left_title, width) + "   " + right_title + "\n";
  const size_t rows = std::max(left.size(), right.size());
  for (size_t i = 0; i < rows; ++i) {
    const std::string l = i < left.size() ? left[i] : "";
    const std::string r = i < right.size() ? right[i] : "";
    const bool differs = Body(l) != Body(r);
    out += Fit(l, width) + (differs ? " | " : "   ") + r + "\n";
  }
  return out;
}

}  // namespace lp::patchbuild
