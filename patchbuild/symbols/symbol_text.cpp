#include "patchbuild/symbols/symbol_text.hpp"

#include <charconv>
#include <cstdio>
#include <string>

namespace lp::patchbuild::symbols {
namespace {

struct LineSource {
  std::string_view what;  // "kallsyms", "System.map": for messages
  bool allow_module;
};

bool IsTypeLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '?';
}

Error LineError(const LineSource& source, std::size_t line_no, std::string_view line,
                std::string_view why) {
  std::string shown(line.substr(0, 120));
  return MakeError(ErrorCode::kParse, std::string(source.what) + " line " +
                                          std::to_string(line_no) + ": " + std::string(why) +
                                          ": '" + shown + "'");
}

// "[ext4]" -> "ext4"; the kernel separates it from the name by a tab.
Expected<std::string> ParseModuleField(std::string_view field) {
  if (field.size() < 3 || field.front() != '[' || field.back() != ']') {
    return MakeError(ErrorCode::kParse, "module field is not [name]");
  }
  return std::string(field.substr(1, field.size() - 2));
}

Expected<Symbol> ParseLine(const LineSource& source, std::string_view line) {
  std::size_t space1 = line.find(' ');
  if (space1 == std::string_view::npos || space1 == 0) {
    return MakeError(ErrorCode::kParse, "expected 'ADDRESS TYPE NAME'");
  }
  Symbol symbol;
  std::string_view hex = line.substr(0, space1);
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), symbol.address, 16);
  if (ec != std::errc{} || end != hex.data() + hex.size()) {
    return MakeError(ErrorCode::kParse, "address is not hexadecimal");
  }
  if (line.size() < space1 + 4 || line[space1 + 2] != ' ' || !IsTypeLetter(line[space1 + 1])) {
    return MakeError(ErrorCode::kParse, "expected a one-letter type after the address");
  }
  symbol.type = line[space1 + 1];
  std::string_view rest = line.substr(space1 + 3);
  std::size_t tab = rest.find('\t');
  symbol.name = std::string(rest.substr(0, tab));
  symbol.object = std::string(kVmlinux);
  if (tab != std::string_view::npos) {
    if (!source.allow_module) return MakeError(ErrorCode::kParse, "unexpected module field");
    auto module = ParseModuleField(rest.substr(tab + 1));
    if (!module) return module.error();
    symbol.object = std::move(*module);
  }
  if (symbol.name.empty() || symbol.name.find(' ') != std::string::npos) {
    return MakeError(ErrorCode::kParse, "symbol name is empty or has spaces");
  }
  return symbol;
}

Expected<SymbolTable> ParseLines(const LineSource& source, std::string_view text) {
  SymbolTable table;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto symbol = ParseLine(source, line);
    if (!symbol) return LineError(source, line_no, line, symbol.error().message);
    table.Add(std::move(*symbol));
  }
  if (table.size() == 0) {
    return MakeError(ErrorCode::kParse, std::string(source.what) + ": no symbols");
  }
  return table;
}

}  // namespace

Expected<SymbolTable> ParseKallsymsFile(std::string_view text) {
  return ParseLines(LineSource{"kallsyms", true}, text);
}

std::string FormatKallsyms(const SymbolTable& table) {
  std::string out;
  out.reserve(table.size() * 40);
  char address[20];
  for (const Symbol& symbol : table.symbols()) {
    std::snprintf(address, sizeof(address), "%016llx ",
                  static_cast<unsigned long long>(symbol.address));
    out += address;
    out += symbol.type;
    out += ' ';
    out += symbol.name;
    if (symbol.object != kVmlinux) out += "\t[" + symbol.object + "]";
    out += '\n';
  }
  return out;
}

Expected<SymbolTable> ParseSystemMap(std::string_view text) {
  // Debian ships "ffffffffffffffff B The real System.map is in the
  // linux-image-<version>-dbg package" as the whole file.
  if (text.find("The real System.map is in") != std::string_view::npos) {
    return MakeError(ErrorCode::kNotFound,
                     "System.map is Debian's stub; the real one is in the linux-image-R-dbg "
                     "package (or decode kallsyms from the vmlinuz, or pass --kallsyms)");
  }
  return ParseLines(LineSource{"System.map", false}, text);
}

}  // namespace lp::patchbuild::symbols
