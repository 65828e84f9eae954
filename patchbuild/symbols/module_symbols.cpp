#include "patchbuild/symbols/module_symbols.hpp"

#include <gelf.h>
#include <libelf.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "common/raii.hpp"

namespace lp::patchbuild::symbols {
namespace {

using ElfPtr = CPtr<Elf, &elf_end>;

struct SectionInfo {
  std::string name;
  std::uint64_t flags = 0;
  std::uint32_t type = 0;
};

std::vector<SectionInfo> ReadSections(Elf* elf) {
  std::size_t shstrndx = 0;
  elf_getshdrstrndx(elf, &shstrndx);
  std::vector<SectionInfo> sections(1);  // index 0: SHN_UNDEF
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr)) continue;
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    sections.resize(elf_ndxscn(scn) + 1);
    sections[elf_ndxscn(scn)] = SectionInfo{name ? name : "", shdr.sh_flags, shdr.sh_type};
  }
  return sections;
}

// What survives into the live module's kallsyms (see the header).
bool KeptByKernel(const GElf_Sym& sym, const std::vector<SectionInfo>& sections) {
  if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sections.size() || sym.st_name == 0) return false;
  const SectionInfo& section = sections[sym.st_shndx];
  if (section.name == ".data..percpu") return true;
  // The loader clears SHF_ALLOC of .modinfo and __versions before laying
  // out the module (rewrite_section_headers), so their symbols
  // (__UNIQUE_ID_vermagic194, ____versions) never reach kallsyms.
  if (section.name == ".modinfo" || section.name == "__versions") return false;
  if (!(section.flags & SHF_ALLOC)) return false;
  return section.name.rfind(".init", 0) != 0;  // .init.text, .init.data, .init.rodata
}

// The letter the module loader gives (kernel/module/kallsyms.c, elf_type).
// /proc/kallsyms then shows it upper case only for exported symbols, which
// ExportCase applies once the whole table is known.
char TypeLetter(const GElf_Sym& sym, const SectionInfo& section) {
  if (GELF_ST_BIND(sym.st_info) == STB_WEAK) return GELF_ST_TYPE(sym.st_info) == STT_OBJECT ? 'v' : 'w';
  if (section.name == ".data..percpu") return 'a';
  if (section.flags & SHF_EXECINSTR) return 't';
  if (section.type == SHT_NOBITS) return 'b';
  return (section.flags & SHF_WRITE) ? 'd' : 'r';
}

// /proc/kallsyms upper-cases a module symbol only when the module exports
// it with EXPORT_SYMBOL (is_exported looks in mod->syms, not in the GPL
// list): jbd2_journal_start shows as T, virtqueue_poll (EXPORT_SYMBOL_GPL)
// as t. Such exports have a __ksymtab_<name> symbol in section __ksymtab.
SymbolTable ExportCase(const SymbolTable& lower, const std::vector<std::string>& ksymtab_names) {
  SymbolTable table;
  for (Symbol symbol : lower.symbols()) {
    for (const std::string& name : ksymtab_names) {
      if (name.size() == 10 + symbol.name.size() && name.compare(10, std::string::npos, symbol.name) == 0) {
        symbol.type = static_cast<char>(std::toupper(symbol.type));
        break;
      }
    }
    table.Add(std::move(symbol));
  }
  return table;
}

Elf_Scn* FindSymtab(Elf* elf, GElf_Shdr* shdr) {
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    if (gelf_getshdr(scn, shdr) && shdr->sh_type == SHT_SYMTAB) return scn;
  }
  return nullptr;
}

}  // namespace

Expected<SymbolTable> ReadModuleSymbols(std::string_view ko_bytes, const std::string& module_name) {
  elf_version(EV_CURRENT);
  // libelf wants a mutable buffer even for reading; give it a private copy.
  std::string copy(ko_bytes);
  ElfPtr elf(elf_memory(copy.data(), copy.size()));
  GElf_Ehdr ehdr;
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF || !gelf_getehdr(elf.get(), &ehdr) ||
      ehdr.e_type != ET_REL) {
    return MakeError(ErrorCode::kParse, module_name + ": not a kernel module (ELF relocatable)");
  }
  std::vector<SectionInfo> sections = ReadSections(elf.get());
  GElf_Shdr symtab_hdr;
  Elf_Scn* symtab = FindSymtab(elf.get(), &symtab_hdr);
  Elf_Data* data = symtab ? elf_getdata(symtab, nullptr) : nullptr;
  if (!data || symtab_hdr.sh_entsize == 0) {
    return MakeError(ErrorCode::kParse, module_name + ": no symbol table (stripped module?)");
  }
  SymbolTable table;
  std::vector<std::string> ksymtab_names;  // "__ksymtab_jbd2_journal_start"
  for (std::size_t i = 1; i < symtab_hdr.sh_size / symtab_hdr.sh_entsize; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym) || !KeptByKernel(sym, sections)) continue;
    const char* name = elf_strptr(elf.get(), symtab_hdr.sh_link, sym.st_name);
    if (!name || !*name) continue;
    if (sections[sym.st_shndx].name == "__ksymtab" && std::strncmp(name, "__ksymtab_", 10) == 0) {
      ksymtab_names.push_back(name);
    }
    table.Add(Symbol{name, sym.st_value, TypeLetter(sym, sections[sym.st_shndx]), module_name, 0});
  }
  return ExportCase(table, ksymtab_names);
}

}  // namespace lp::patchbuild::symbols
