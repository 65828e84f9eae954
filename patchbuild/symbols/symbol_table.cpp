#include "patchbuild/symbols/symbol_table.hpp"

#include <utility>

namespace lp::patchbuild::symbols {

void SymbolTable::Add(Symbol symbol) {
  symbol.index = static_cast<std::uint32_t>(symbols_.size());
  auto it = by_name_.find(symbol.name);
  if (it == by_name_.end()) it = by_name_.emplace(symbol.name, std::vector<std::uint32_t>{}).first;
  it->second.push_back(symbol.index);
  symbols_.push_back(std::move(symbol));
}

std::vector<const Symbol*> SymbolTable::FindAll(std::string_view name) const {
  std::vector<const Symbol*> found;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return found;
  for (std::uint32_t index : it->second) found.push_back(&symbols_[index]);
  return found;
}

std::vector<const Symbol*> SymbolTable::FindInObject(std::string_view object,
                                                     std::string_view name) const {
  std::vector<const Symbol*> found;
  for (const Symbol* symbol : FindAll(name)) {
    if (symbol->object == object) found.push_back(symbol);
  }
  return found;
}

std::optional<std::uint64_t> SymbolTable::NextAddressAfter(std::string_view object,
                                                           std::uint64_t address) const {
  // A linear scan: ~0.1 ms on 94k symbols, called once per patched function.
  // Module symbols are not address-sorted (they follow the module's ELF
  // symtab), so a binary search would be wrong for them anyway.
  std::optional<std::uint64_t> next;
  for (const Symbol& symbol : symbols_) {
    if (symbol.address <= address || symbol.object != object) continue;
    if (!next || symbol.address < *next) next = symbol.address;
  }
  return next;
}

}  // namespace lp::patchbuild::symbols
