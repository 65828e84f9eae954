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

// Above this many cells the LCS table costs more than it helps.
constexpr size_t kMaxAlignCells = 4'000'000;

std::string Fit(const std::string& s, size_t width) {
  if (s.size() > width) return s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size(), ' ');
}

// Within each run of unpaired rows, pairs the original-only lines with the
// patched-only lines in order: a changed instruction then reads as one '|'
// row ("add eax, 1" | "add eax, 3") rather than a deletion plus an insertion.
std::vector<std::pair<int, int>> PairReplacements(const std::vector<std::pair<int, int>>& rows) {
  std::vector<std::pair<int, int>> out;
  size_t k = 0;
  while (k < rows.size()) {
    if (rows[k].first >= 0 && rows[k].second >= 0) {
      out.push_back(rows[k++]);
      continue;
    }
    std::vector<int> lefts;
    std::vector<int> rights;
    for (; k < rows.size() && (rows[k].first < 0 || rows[k].second < 0); ++k) {
      if (rows[k].first >= 0) lefts.push_back(rows[k].first);
      if (rows[k].second >= 0) rights.push_back(rows[k].second);
    }
    for (size_t x = 0; x < std::max(lefts.size(), rights.size()); ++x) {
      out.emplace_back(x < lefts.size() ? lefts[x] : -1, x < rights.size() ? rights[x] : -1);
    }
  }
  return out;
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

std::vector<std::pair<int, int>> AlignListings(const std::vector<std::string>& left,
                                                const std::vector<std::string>& right) {
  std::vector<std::pair<int, int>> rows;
  const size_t n = left.size();
  const size_t m = right.size();
  if (n * m > kMaxAlignCells) {  // huge functions: pair lines in order
    for (size_t i = 0; i < std::max(n, m); ++i) {
      rows.emplace_back(i < n ? static_cast<int>(i) : -1, i < m ? static_cast<int>(i) : -1);
    }
    return rows;
  }
  // Longest common subsequence of instruction texts (addresses aside), so an
  // inserted instruction shows up as one unpaired line instead of shifting
  // every following pair out of step.
  std::vector<std::string> lb;
  std::vector<std::string> rb;
  for (const auto& l : left) lb.push_back(Body(l));
  for (const auto& r : right) rb.push_back(Body(r));
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = lb[i] == rb[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && lb[i] == rb[j]) {
      rows.emplace_back(static_cast<int>(i++), static_cast<int>(j++));
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      rows.emplace_back(-1, static_cast<int>(j++));
    } else {
      rows.emplace_back(static_cast<int>(i++), -1);
    }
  }
  return PairReplacements(rows);
}

std::string SideBySide(const std::string& left_title, const std::vector<std::string>& left,
                       const std::string& right_title, const std::vector<std::string>& right, size_t width) {
  std::string out = Fit(left_title, width) + "   " + right_title + "\n";
  for (auto [li, ri] : AlignListings(left, right)) {
    const std::string l = li >= 0 ? left[li] : "";
    const std::string r = ri >= 0 ? right[ri] : "";
    const char* mark = li < 0 ? " > " : ri < 0 ? " < " : Body(l) != Body(r) ? " | " : "   ";
    out += Fit(l, width) + mark + r + "\n";
  }
  return out;
}

}  // namespace lp::patchbuild
