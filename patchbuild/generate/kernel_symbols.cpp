#include "patchbuild/generate/kernel_symbols.hpp"

#include <cctype>
#include <sstream>

#include "common/file_util.hpp"
#include "patchbuild/symbols/reloc_targets.hpp"
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
  if (in_original && in_original->IsObject() && in_original->section && object_ == symbols::kVmlinux)
    return SymposOfData(name, *in_original);
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

// The shipped address of a function of the original: its name when unique,
// else the instance whose code matches.
Expected<uint64_t> KernelSymbols::ShippedAddressOf(const elf::Symbol& fn) const {
  auto candidates = table_.FindInObject(object_, fn.name);
  if (candidates.size() == 1) return candidates.front()->address;
  std::vector<std::string> neighbours;
  for (const auto& s : original_->symbols())
    if (s->IsFunction() && s->section && s.get() != &fn) neighbours.push_back(s->name);
  return symbols::FindMatchingInstance(table_, *image_, fn.name, ToFunctionCode(*original_, fn), neighbours);
}

// A static variable that many files define (__already_done.3 of a
// pr_warn_once: 49 in vmlinux) is found through a function of the original
// that uses it: each of its relocations against the variable, or against
// the variable's section (how the assembler writes references to file-local
// symbols), resolved in the shipped code gives the section's address in the
// running kernel, and the variable sits at its own offset in it (a unit's
// input section stays whole in the link).
Expected<uint32_t> KernelSymbols::SymposOfData(std::string_view name, const elf::Symbol& var) const {
  const std::string count = std::string(name) + ": " + std::to_string(table_.FindInObject(object_, name).size()) +
                            " symbols of that name in " + object_;
  if (!image_ || !original_)
    return MakeError(ErrorCode::kConflict, count + " and no kernel image to find the one the code uses");
  std::string why = "no function of the original refers to it";
  for (const auto& fn : original_->symbols()) {
    if (!fn->IsFunction() || !fn->section || fn->size == 0) continue;
    symbols::FunctionCode code = ToFunctionCode(*original_, *fn);
    const auto relocs = fn->section->RelocationsIn(fn->value, fn->value + fn->size);
    bool uses = false;
    for (size_t i = 0; i < relocs.size() && i < code.relocs.size(); ++i) {
      const elf::Symbol* target = relocs[i].symbol;
      const bool via_section = target && target->IsSectionSymbol() && target->section == var.section;
      if (target != &var && !via_section) continue;
      uses = true;
      code.relocs[i].symbol = std::string(name);
      if (via_section) code.relocs[i].addend -= static_cast<int64_t>(var.value);
    }
    if (!uses) continue;
    auto address = ShippedAddressOf(*fn);
    if (!address) {
      why = address.error().message;
      continue;
    }
    auto resolved = symbols::ResolveReferencedSymbol(table_, *image_, *address, code, name);
    if (!resolved) {
      why = resolved.error().message;
      continue;
    }
    return symbols::ComputeSympos(table_, object_, name, *resolved);
  }
  return MakeError(ErrorCode::kConflict, count + " and " + why);
}

}  // namespace lp::patchbuild::generate
