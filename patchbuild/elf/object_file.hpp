// An ELF relocatable object (a kernel .o built with -ffunction-sections
// -fdata-sections) modelled as a graph the diff passes can walk and annotate.
//
// Ownership and lifetimes:
// - ObjectFile owns everything: the open file, the libelf handle, and every
//   Section, Symbol and Relocation (held through unique_ptr so their
//   addresses are stable for as long as the ObjectFile lives).
// - Section::data is a view into libelf's copy of the file; it and every
//   Section*/Symbol* pointer into the graph are valid only while the owning
//   ObjectFile is alive. Never keep them past it.
// - `twin` pointers cross from one ObjectFile to another (original <->
//   patched); they are non-owning and set by the diff's correlate pass.
//   Whoever sets them keeps both ObjectFiles alive together.
// - Not thread-safe: one thread builds and annotates a graph at a time.
#pragma once

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/raii.hpp"
#include "patchbuild/elf/arch.hpp"

namespace lp::patchbuild::elf {

using ElfPtr = CPtr<Elf, &elf_end>;

// Result of comparing a section or symbol with its twin. Set on the patched
// object's side (the original's entries keep Same unless they have no twin).
enum class Status { New, Changed, Same };
const char* StatusName(Status s);

struct Symbol;
struct Section;

// One RELA entry, stored with the section it patches (not with the .rela
// section that carried it), sorted by offset.
struct Relocation {
  uint64_t offset = 0;     // within the patched section
  uint32_t type = 0;       // R_X86_64_PLT32 ...
  Symbol* symbol = nullptr;  // never null: index 0 (the null symbol) is kept too
  int64_t addend = 0;
};

struct Section {
  size_t index = 0;
  std::string name;
  GElf_Shdr header{};
  // File bytes (empty for SHT_NOBITS such as .bss.foo). View into libelf.
  std::span<const uint8_t> data;
  // For SHT_RELA sections: the section they apply to (sh_info).
  Section* base = nullptr;
  // For sections that have one: the .rela section patching them.
  Section* rela = nullptr;
  // STT_SECTION symbol naming this section, if the symbol table has one.
  Symbol* section_symbol = nullptr;
  // Function/object/notype symbols defined here, sorted by value.
  std::vector<Symbol*> symbols;
  // Relocations applying to this section's bytes, sorted by offset.
  std::vector<Relocation> relocations;

  Section* twin = nullptr;
  Status status = Status::Same;

  uint64_t size() const { return header.sh_size; }
  bool IsCode() const { return (header.sh_flags & SHF_EXECINSTR) != 0; }
  bool IsWritable() const { return (header.sh_flags & SHF_WRITE) != 0; }
  bool IsNoBits() const { return header.sh_type == SHT_NOBITS; }
  // SHF_MERGE|SHF_STRINGS, e.g. .rodata.str1.1: the linker deduplicates and
  // reorders strings, so only the referenced *content* means anything.
  bool IsMergeableStrings() const {
    return (header.sh_flags & SHF_MERGE) && (header.sh_flags & SHF_STRINGS);
  }
  // SHF_MERGE without strings, e.g. .rodata.cst16: fixed-size constants.
  bool IsMergeableConstants() const {
    return (header.sh_flags & SHF_MERGE) && !(header.sh_flags & SHF_STRINGS) &&
           header.sh_entsize > 0;
  }

  // Relocations whose offset lies in [begin, end), as a view into
  // `relocations`.
  std::span<const Relocation> RelocationsIn(uint64_t begin, uint64_t end) const;
  // The function or object symbol covering `offset`, or nullptr.
  Symbol* SymbolAt(uint64_t offset) const;
};

struct Symbol {
  size_t index = 0;
  std::string name;
  uint8_t type = STT_NOTYPE;  // STT_FUNC, STT_OBJECT, STT_SECTION ...
  uint8_t bind = STB_LOCAL;
  uint16_t shndx = SHN_UNDEF;
  uint64_t value = 0;
  uint64_t size = 0;
  Section* section = nullptr;  // null for undefined, absolute and common symbols

  Symbol* twin = nullptr;
  Status status = Status::Same;

  bool IsFunction() const { return type == STT_FUNC; }
  bool IsObject() const { return type == STT_OBJECT; }
  bool IsSectionSymbol() const { return type == STT_SECTION; }
  bool IsUndefined() const { return shndx == SHN_UNDEF && index != 0; }
  bool IsLocal() const { return bind == STB_LOCAL; }
  // The bytes this symbol covers in its section (empty for NOBITS/undefined).
  std::span<const uint8_t> Bytes() const;
};

class ObjectFile {
 public:
  // Opens and fully parses `path`. Fails with kParse for anything that is not
  // a well-formed 64-bit little-endian ELF relocatable object (truncated files,
  // out-of-range indexes ...) and kUnsupported for an e_machine without an
  // Arch implementation. Never aborts on malformed input.
  static Expected<std::unique_ptr<ObjectFile>> Open(const std::filesystem::path& path);

  ObjectFile(const ObjectFile&) = delete;
  ObjectFile& operator=(const ObjectFile&) = delete;
  ~ObjectFile();

  const std::filesystem::path& path() const { return path_; }
  const Arch& arch() const { return *arch_; }

  // Index 0 (SHN_UNDEF) is a placeholder, present so indexes match the file.
  const std::vector<std::unique_ptr<Section>>& sections() const { return sections_; }
  // Index 0 is the null symbol, present so indexes match the file.
  const std::vector<std::unique_ptr<Symbol>>& symbols() const { return symbols_; }

  Section* FindSection(std::string_view name) const;
  // First symbol with this exact name, or nullptr.
  Symbol* FindSymbol(std::string_view name) const;

 private:
  class Loader;
  ObjectFile() = default;

  std::filesystem::path path_;
  const Arch* arch_ = nullptr;
  UniqueFd fd_;
  ElfPtr elf_;  // declared after fd_: destroyed first, while the fd is open
  std::vector<std::unique_ptr<Section>> sections_;
  std::vector<std::unique_ptr<Symbol>> symbols_;
};

}  // namespace lp::patchbuild::elf
