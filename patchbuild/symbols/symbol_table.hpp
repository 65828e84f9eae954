// The target kernel's symbol table as livepatch sees it: every symbol of
// vmlinux and of loaded modules, in kallsyms order. That order matters: the
// kernel resolves a livepatch's (name, sympos) by counting same-named entries
// in exactly this order (kernel/livepatch/core.c, klp_find_callback).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lp::patchbuild::symbols {

// The object name livepatch uses for the core kernel (klp_object.name NULL).
inline constexpr std::string_view kVmlinux = "vmlinux";

struct Symbol {
  std::string name;
  std::uint64_t address = 0;
  // nm-style letter as kallsyms stores it: 't' local text, 'T' global text,
  // 'd'/'D' data, 'b'/'B' bss, 'r'/'R' rodata, 'W'/'V' weak, 'A' absolute.
  char type = '?';
  std::string object;       // "vmlinux" or a module name ("ext4")
  std::uint32_t index = 0;  // position in the whole table, kallsyms order

  bool IsText() const { return type == 't' || type == 'T' || type == 'W' || type == 'w'; }
};

// Owns its symbols. Not thread-safe for Add; const methods may be called
// from several threads once loading is done. Pointers returned by the
// lookups stay valid until the next Add.
class SymbolTable {
 public:
  // Appends in kallsyms order; sets symbol.index.
  void Add(Symbol symbol);
  // Room for n symbols (a decode knows kallsyms_num_syms up front).
  void Reserve(std::size_t n) {
    symbols_.reserve(n);
    by_name_.reserve(n);
  }

  const std::vector<Symbol>& symbols() const { return symbols_; }
  std::size_t size() const { return symbols_.size(); }

  // Every symbol called name, in every object, in kallsyms order.
  std::vector<const Symbol*> FindAll(std::string_view name) const;

  // Same-named symbols of one object ("vmlinux" or a module), in the order
  // livepatch counts them: the k-th entry has sympos k+1.
  std::vector<const Symbol*> FindInObject(std::string_view object, std::string_view name) const;

  // Lowest symbol address of the same object above address: where the code
  // at address must end at the latest (kallsyms has no sizes).
  std::optional<std::uint64_t> NextAddressAfter(std::string_view object,
                                                std::uint64_t address) const;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<Symbol> symbols_;
  std::unordered_map<std::string, std::vector<std::uint32_t>, NameHash, std::equal_to<>> by_name_;
};

}  // namespace lp::patchbuild::symbols
