// patchbuild_symbols_bench VMLINUX [OBJECT.o ...]
// patchbuild_symbols_bench VMLINUX --kallsyms DUMP
//
// Times the kallsyms decode of an extracted vmlinux and prints what the
// table holds (count, duplicate names). With objects rebuilt from the
// target's tree (e.g. fs/proc/*.o of a prepared linux-source-6.1), matches
// each of their functions against the shipped code: sympos picked by code,
// then the instruction-by-instruction proof. With --kallsyms, compares the
// decode with /proc/kallsyms of the same kernel booted with nokaslr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "common/file_util.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"
#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/symbol_text.hpp"
#include "patchbuild/symbols/sympos.hpp"
#include "tests/patchbuild/symbols/object_functions.hpp"

namespace sym = lp::patchbuild::symbols;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintTableFacts(const sym::SymbolTable& table) {
  std::map<std::string, std::pair<int, int>> by_name;  // name -> (text, other)
  for (const sym::Symbol& s : table.symbols()) {
    auto& counts = by_name[s.name];
    (s.IsText() ? counts.first : counts.second)++;
  }
  int duplicated = 0, text_and_data = 0;
  for (const auto& [name, counts] : by_name) {
    if (counts.first + counts.second > 1) ++duplicated;
    if (counts.first > 0 && counts.second > 0) ++text_and_data;
  }
  std::printf("symbols: %zu, names: %zu, names occurring more than once: %d, "
              "names both text and non-text: %d, type_show: %zu, c_start: %zu\n",
              table.size(), by_name.size(), duplicated, text_and_data,
              table.FindAll("type_show").size(), table.FindAll("c_start").size());
}

struct Totals {
  int matched = 0, differ = 0, absent = 0, unresolved = 0;
};

void MatchFunction(const sym::SymbolTable& table, const sym::VmlinuxImage& image,
                   const sym::FunctionCode& code, const std::vector<std::string>& siblings,
                   Totals* totals) {
  if (table.FindInObject(sym::kVmlinux, code.name).empty()) {
    ++totals->absent;  // inlined everywhere, or discarded __init code
    return;
  }
  auto address = sym::FindMatchingInstance(table, image, code.name, code, siblings);
  if (!address) {
    ++totals->unresolved;
    std::printf("  %-36s %s\n", code.name.c_str(), address.error().message.c_str());
    return;
  }
  auto sympos = sym::ComputeSympos(table, sym::kVmlinux, code.name, *address);
  auto next = table.NextAddressAfter(sym::kVmlinux, *address);
  auto extent = next ? std::optional<std::uint64_t>(*next - *address) : std::nullopt;
  auto result = sym::CompareWithShipped(image, *address, code, extent, &table);
  if (result && result->matches()) {
    ++totals->matched;
    std::printf("  %-36s sympos %u  match, %zu instructions\n", code.name.c_str(),
                sympos ? *sympos : 0u, result->instructions);
    return;
  }
  ++totals->differ;
  std::printf("  %-36s %s\n", code.name.c_str(),
              result ? sym::DescribeMismatch(code.name, *result->mismatch).c_str()
                     : result.error().message.c_str());
}

// Line by line over the vmlinux part of the dump (modules, bpf and ftrace
// trampolines follow it there).
int CompareWithDump(const sym::SymbolTable& decoded, const char* path) {
  auto text = lp::ReadFile(path);
  if (!text) return std::fprintf(stderr, "%s\n", text.error().message.c_str()), 1;
  auto dump = sym::ParseKallsymsFile(*text);
  if (!dump) return std::fprintf(stderr, "%s\n", dump.error().message.c_str()), 1;
  std::size_t vmlinux = 0, differ = 0;
  for (const sym::Symbol& s : dump->symbols()) {
    if (s.object != sym::kVmlinux) continue;
    const sym::Symbol* mine = vmlinux < decoded.size() ? &decoded.symbols()[vmlinux] : nullptr;
    if (!mine || mine->name != s.name || mine->address != s.address || mine->type != s.type) {
      if (++differ <= 5) {
        std::printf("differs at %zu: dump %016llx %c %s\n", vmlinux,
                    static_cast<unsigned long long>(s.address), s.type, s.name.c_str());
      }
    }
    ++vmlinux;
  }
  std::printf("dump: %zu vmlinux lines (+%zu module/bpf/ftrace lines); decoded: %zu; differing lines: %zu\n",
              vmlinux, dump->size() - vmlinux, decoded.size(), differ);
  return differ == 0 && vmlinux == decoded.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VMLINUX [OBJECT.o ...]\n", argv[0]);
    return 2;
  }
  auto bytes = lp::ReadFile(argv[1]);
  if (!bytes) return std::fprintf(stderr, "%s\n", bytes.error().message.c_str()), 1;
  auto image = sym::VmlinuxImage::Open(*bytes);
  if (!image) return std::fprintf(stderr, "%s\n", image.error().message.c_str()), 1;
  std::vector<double> runs;
  lp::Expected<sym::SymbolTable> table = lp::MakeError(lp::ErrorCode::kInternal, "not run");
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    table = sym::DecodeKallsyms(*image);
    runs.push_back(Seconds(start));
    if (!table) return std::fprintf(stderr, "%s\n", table.error().message.c_str()), 1;
  }
  std::sort(runs.begin(), runs.end());
  std::printf("kallsyms decode (locate + expand %zu symbols): min %.3f s, median %.3f s over 5 runs\n",
              table->size(), runs.front(), runs[2]);
  PrintTableFacts(*table);
  if (argc == 4 && std::string(argv[2]) == "--kallsyms") return CompareWithDump(*table, argv[3]);
  Totals totals;
  for (int i = 2; i < argc; ++i) {
    auto functions = lp::patchbuild::symbols::testing::ReadObjectFunctions(argv[i]);
    if (!functions) return std::fprintf(stderr, "%s\n", functions.error().message.c_str()), 1;
    std::printf("%s:\n", argv[i]);
    std::vector<std::string> siblings;
    for (const auto& fn : *functions) siblings.push_back(fn.code.name);
    for (const auto& fn : *functions) MatchFunction(*table, *image, fn.code, siblings, &totals);
  }
  if (argc > 2) {
    std::printf("functions: %d match the shipped kernel, %d differ, %d unresolved, %d not in kallsyms\n",
                totals.matched, totals.differ, totals.unresolved, totals.absent);
  }
  return totals.differ + totals.unresolved == 0 ? 0 : 1;
}
