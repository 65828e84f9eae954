// Test-side reader of an ELF relocatable file (a generated object or a
// finished .ko) as readelf shows it: sections with flags and links, symbols
// with their section index (SHN_LIVEPATCH included, which the product's
// ObjectFile has no reason to accept), and each RELA section's entries.
// Deliberately independent of the code under test.
#pragma once

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace lp::patchbuild::generate::testing {

struct ViewReloc {
  uint64_t offset = 0;
  uint32_t type = 0;
  int64_t addend = 0;
  std::string symbol;  // for a section symbol: the section's name
};

struct ViewSection {
  std::string name;
  GElf_Shdr header{};
  std::string bytes;
  std::vector<ViewReloc> relocs;  // SHT_RELA only
};

struct ViewSymbol {
  std::string name;
  GElf_Sym sym{};
};

struct ElfView {
  std::vector<ViewSection> sections;  // [0] is the null section
  std::vector<ViewSymbol> symbols;    // [0] is the null symbol
  size_t first_global = 0;            // .symtab sh_info

  const ViewSection* Section(const std::string& name) const {
    for (const auto& s : sections)
      if (s.name == name) return &s;
    return nullptr;
  }
  const ViewSymbol* Symbol(const std::string& name) const {
    for (const auto& s : symbols)
      if (s.name == name) return &s;
    return nullptr;
  }
};

inline ElfView ReadElfView(const std::filesystem::path& path) {
  ElfView view;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  elf_version(EV_CURRENT);
  Elf* elf = elf_memory(bytes.data(), bytes.size());
  if (!elf) return view;
  size_t shstrndx = 0;
  elf_getshdrstrndx(elf, &shstrndx);
  view.sections.emplace_back();
  size_t symtab = 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    ViewSection s;
    gelf_getshdr(scn, &s.header);
    s.name = elf_strptr(elf, shstrndx, s.header.sh_name);
    if (Elf_Data* d = elf_getdata(scn, nullptr); d && d->d_buf)
      s.bytes.assign(static_cast<const char*>(d->d_buf), d->d_size);
    if (s.header.sh_type == SHT_SYMTAB) symtab = view.sections.size();
    view.sections.push_back(std::move(s));
  }
  if (symtab) {
    const ViewSection& st = view.sections[symtab];
    view.first_global = st.header.sh_info;
    Elf_Data* d = elf_getdata(elf_getscn(elf, symtab), nullptr);
    for (size_t i = 0; d && i < st.header.sh_size / sizeof(Elf64_Sym); ++i) {
      ViewSymbol s;
      gelf_getsym(d, static_cast<int>(i), &s.sym);
      s.name = elf_strptr(elf, st.header.sh_link, s.sym.st_name);
      if (GELF_ST_TYPE(s.sym.st_info) == STT_SECTION && s.sym.st_shndx < view.sections.size())
        s.name = view.sections[s.sym.st_shndx].name;
      view.symbols.push_back(std::move(s));
    }
  }
  for (size_t i = 1; i < view.sections.size(); ++i) {
    ViewSection& s = view.sections[i];
    if (s.header.sh_type != SHT_RELA) continue;
    Elf_Data* d = elf_getdata(elf_getscn(elf, i), nullptr);
    for (size_t k = 0; d && k < s.header.sh_size / sizeof(Elf64_Rela); ++k) {
      GElf_Rela r;
      gelf_getrela(d, static_cast<int>(k), &r);
      const size_t sym = GELF_R_SYM(r.r_info);
      s.relocs.push_back(ViewReloc{r.r_offset, static_cast<uint32_t>(GELF_R_TYPE(r.r_info)), r.r_addend,
                                   sym < view.symbols.size() ? view.symbols[sym].name : "?"});
    }
  }
  elf_end(elf);
  return view;
}

}  // namespace lp::patchbuild::generate::testing
