#include "patchbuild/generate/kernel_symbols.hpp"

#include <cctype>
#include <sstream>

#include "common/file_util.hpp"
#include "patchbuild/symbols/sympos.hpp"

namespace lp::patchbuild::generate {

Expected<std::unordered_set<std::string>> ReadExportedSymbols(const std::filesystem::path& module_symvers) {
  auto text = ReadFile(module_symvers);
  if (!text) return text.error().WithContext("reading the target's exports");
  std::unordered_set<std::string> names;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    size_t tab1 = line.find('\t');
    size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) continue;
    names.insert(line.substr(tab1 + 1, tab2 - tab1 - 1));
  }
  if (names.empty())
    return MakeError(ErrorCode::kParse, module_symvers.string() + ": no exported symbols listed");
  return names;
}

symbols::FunctionCode ToFunctionCode(const elf::ObjectFile& obj, const elf::Symbol& function) {
  symbols::FunctionCode code;
  code.name = function.name;
  auto bytes = function.Bytes();
  code.bytes.assign(bytes.begin(), bytes.end());
  code.weak = function.bind == STB_WEAK;
  if (!function.section) return code;
  for (const elf::Relocation& r :
       function.section->RelocationsIn(function.value, function.value + function.size)) {
    symbols::RelocRange range;
    range.offset = r.offset - function.value;
    range.size = obj.arch().RelocWidth(r.type);
    range.symbol = r.symbol->IsSectionSymbol() && r.symbol->section ? r.symbol->section->name : r.symbol->name;
    range.kind = obj.arch().IsPcRelative(r.type) ? symbols::RelocKind::kPcRelative
                                                 : symbols::RelocKind::kAbsolute;
    range.addend = r.addend;
    code.relocs.push_back(std::move(range));
  }
  return code;
}

Expected<uint32_t> KernelSymbols::Sympos(std::string_view name, const elf::Symbol* in_original) const {
  auto candidates = table_.FindInObject(object_, name);
  if (candidates.empty())
    return MakeError(ErrorCode::kNotFound,
                     std::string(name) + ": not in the target's symbol table (" + object_ + ")");
  if (candidates.size() == 1) return 0u;
  // One global among same-named statics: a reference by a global name (an
  // undefined symbol in the object) can only mean the global.
  if (!in_original || !in_original->IsLocal()) {
    std::vector<const symbols::Symbol*> globals;
    for (const auto* c : candidates)
      if (std::isupper(static_cast<unsigned char>(c->type))) globals.push_back(c);
    if (globals.size() == 1) return symbols::ComputeSympos(table_, object_, name, globals[0]->address);
  }
  if (in_original && in_original->IsFunction()) return SymposOfFunction(name, *in_original);
  return MakeError(ErrorCode::kConflict,
                   std::string(name) + ": " + std::to_string(candidates.size()) + " symbols of that name in " +
                       object_ + " and nothing here tells which one the patched code means");
}

Expected<uint32_t> KernelSymbols::SymposOfFunction(std::string_view name, const elf::Symbol& fn) const {
  if (!image_ || !original_)
    return MakeError(ErrorCode::kConflict, std::string(name) + ": several functions of that name in " + object_ +
                                               " and no kernel image to match their code against");
  std::vector<std::string> neighbours;
  for (const auto& s : original_->symbols())
    if (s->IsFunction() && s->section && s.get() != &fn) neighbours.push_back(s->name);
  auto address = symbols::FindMatchingInstance(table_, *image_, name, ToFunctionCode(*original_, fn), neighbours);
  if (!address) return address.error();
  return symbols::ComputeSympos(table_, object_, name, *address);
}

}  // namespace lp::patchbuild::generate
