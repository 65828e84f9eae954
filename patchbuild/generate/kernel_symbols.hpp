// How the patch module reaches the running kernel's symbols: exported ones
// by name (an ordinary undefined symbol, resolved by the module loader),
// all others through livepatch relocations that need a sympos.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/elf/object_file.hpp"
#include "patchbuild/symbols/function_code.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::generate {

// The names Module.symvers lists (the target's exports, every object). Lines
// are "0xcrc<TAB>name<TAB>object<TAB>EXPORT_SYMBOL[_GPL]<TAB>namespace".
Expected<std::unordered_set<std::string>> ReadExportedSymbols(const std::filesystem::path& module_symvers);

// The bytes and relocation ranges of a function of `obj`, as the symbols
// library compares them with the shipped kernel.
symbols::FunctionCode ToFunctionCode(const elf::ObjectFile& obj, const elf::Symbol& function);

// Non-owning: the table, image and original object must outlive this.
class KernelSymbols {
 public:
  // object: "vmlinux" or the target module's name. image may be null (no
  // code matching: a duplicated static function is then an error).
  // original: the rebuilt original object (its functions tell duplicates
  // apart); may be null.
  KernelSymbols(const symbols::SymbolTable& table, const symbols::VmlinuxImage* image,
                std::unordered_set<std::string> exported, std::string object,
                const elf::ObjectFile* original)
      : table_(table), image_(image), exported_(std::move(exported)), object_(std::move(object)),
        original_(original) {}

  const std::string& object() const { return object_; }
  bool IsExported(std::string_view name) const { return exported_.count(std::string(name)) != 0; }

  // The livepatch sympos of `name` in object(): 0 when unique. in_original is
  // that symbol in the rebuilt original (null for an undefined reference).
  // Several same-named candidates are told apart by binding (one global
  // among statics), for functions by matching the shipped code, for
  // variables of vmlinux by the address a function of the original that
  // uses them holds in the shipped code; anything still ambiguous is an
  // error, never a guess.
  Expected<uint32_t> Sympos(std::string_view name, const elf::Symbol* in_original) const;

 private:
  Expected<uint32_t> SymposOfFunction(std::string_view name, const elf::Symbol& fn) const;
  Expected<uint32_t> SymposOfData(std::string_view name, const elf::Symbol& var) const;
  Expected<uint64_t> ShippedAddressOf(const elf::Symbol& fn) const;

  const symbols::SymbolTable& table_;
  const symbols::VmlinuxImage* image_;
  std::unordered_set<std::string> exported_;
  std::string object_;
  const elf::ObjectFile* original_;
};

}  // namespace lp::patchbuild::generate
