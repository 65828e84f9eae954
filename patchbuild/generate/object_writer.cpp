#include "patchbuild/generate/object_writer.hpp"

#include <cstring>

#include "patchbuild/generate/elf_builder.hpp"

namespace lp::patchbuild::generate {
namespace {

// Symbol table of the generated object: section symbols first (indexes
// 1..N follow the planned sections), then local, then global symbols, as
// ELF requires (sh_info = index of the first non-local).
struct SymbolLayout {
  std::vector<Elf64_Sym> symbols;
  StringTable names;
  std::vector<size_t> section_symbol;  // planned section -> symtab index
  std::vector<size_t> plan_symbol;     // plan symbol -> symtab index
  size_t strings_symbol = 0;           // section symbol of the side table's strings (0: none)
  size_t first_global = 0;
};

SymbolLayout LayOutSymbols(const ObjectPlan& plan, const std::vector<size_t>& file_index, size_t strings_index) {
  SymbolLayout out;
  out.symbols.push_back(Elf64_Sym{});
  auto section_symbol = [&](size_t index) {
    Elf64_Sym s{};
    s.st_info = ELF64_ST_INFO(STB_LOCAL, STT_SECTION);
    s.st_shndx = static_cast<uint16_t>(index);
    out.symbols.push_back(s);
    return out.symbols.size() - 1;
  };
  for (size_t i = 0; i < plan.sections.size(); ++i) out.section_symbol.push_back(section_symbol(file_index[i]));
  if (strings_index) out.strings_symbol = section_symbol(strings_index);
  out.plan_symbol.resize(plan.symbols.size());
  for (bool globals : {false, true}) {
    if (globals) out.first_global = out.symbols.size();
    for (size_t i = 0; i < plan.symbols.size(); ++i) {
      const PlannedSymbol& p = plan.symbols[i];
      if ((p.bind != STB_LOCAL) != globals) continue;
      Elf64_Sym s{};
      s.st_name = out.names.Add(p.name);
      s.st_info = ELF64_ST_INFO(p.bind, p.type);
      s.st_shndx = p.defined ? static_cast<uint16_t>(file_index[p.section]) : SHN_UNDEF;
      s.st_value = p.value;
      s.st_size = p.size;
      out.plan_symbol[i] = out.symbols.size();
      out.symbols.push_back(s);
    }
  }
  return out;
}

Elf64_Rela MakeRela(uint64_t offset, size_t symbol, uint32_t type, int64_t addend) {
  Elf64_Rela r{};
  r.r_offset = offset;
  r.r_info = ELF64_R_INFO(symbol, type);
  r.r_addend = addend;
  return r;
}

BuiltSection RelaSection(const std::string& name, const std::vector<Elf64_Rela>& relas, size_t applies_to) {
  BuiltSection s{".rela" + name, {}, AsBytes(relas)};
  s.header.sh_type = SHT_RELA;
  s.header.sh_flags = SHF_INFO_LINK;
  s.header.sh_info = static_cast<uint32_t>(applies_to);
  s.header.sh_addralign = 8;
  s.header.sh_entsize = sizeof(Elf64_Rela);
  return s;  // sh_link (the symtab) is set once its index is known
}

BuiltSection DataSection(const PlannedSection& p) {
  BuiltSection s{p.name, {}, p.type == SHT_NOBITS ? std::vector<uint8_t>{} : p.bytes};
  s.header.sh_type = p.type;
  s.header.sh_flags = p.flags;
  s.header.sh_addralign = p.align;
  s.header.sh_entsize = p.entsize;
  s.header.sh_size = p.size;
  return s;
}

}  // namespace

Expected<uint32_t> AbsoluteAddressReloc(uint16_t machine) {
  if (machine == EM_X86_64) return static_cast<uint32_t>(R_X86_64_64);
  return MakeError(ErrorCode::kUnsupported, "generate supports x86_64 objects only");
}

Status WriteObject(const ObjectPlan& plan, const std::filesystem::path& path) {
  auto abs64 = AbsoluteAddressReloc(plan.machine);
  if (!abs64) return abs64.error();
  // Section indexes: each planned section, followed by its .rela if any.
  std::vector<size_t> file_index;
  size_t next = 1;
  for (const PlannedSection& p : plan.sections) {
    file_index.push_back(next);
    next += p.relocs.empty() ? 1 : 2;
  }
  // The side table follows: entries (next), their .rela, strings (next + 2).
  const bool has_klp = plan.KlpRelocCount() != 0;
  SymbolLayout layout = LayOutSymbols(plan, file_index, has_klp ? next + 2 : 0);

  ElfBuilder elf(plan.machine, ET_REL);
  std::vector<size_t> rela_sections;
  std::vector<KlpRelocEntry> klp;
  std::vector<Elf64_Rela> places;
  for (size_t i = 0; i < plan.sections.size(); ++i) {
    const PlannedSection& p = plan.sections[i];
    elf.Add(DataSection(p));
    for (const auto& [offset, entry] : p.klp) {
      places.push_back(MakeRela(klp.size() * kSideEntrySize, layout.section_symbol[i], *abs64,
                                static_cast<int64_t>(offset)));
      klp.push_back(entry);
    }
    if (p.relocs.empty()) continue;
    std::vector<Elf64_Rela> relas;
    for (const PlannedReloc& r : p.relocs) {
      const size_t sym = r.target == PlannedReloc::Target::kSection ? layout.section_symbol[r.index]
                                                                     : layout.plan_symbol[r.index];
      relas.push_back(MakeRela(r.offset, sym, r.type, r.addend));
    }
    rela_sections.push_back(elf.Add(RelaSection(p.name, relas, file_index[i])));
  }
  if (!klp.empty()) {
    EncodedSideTable table = EncodeSideTable(klp);
    // Each entry's name offset is relocated too: when kbuild links two
    // generated objects, their string tables are concatenated and the
    // second one's offsets move.
    for (size_t k = 0; k < klp.size(); ++k) {
      uint32_t name = 0;
      std::memcpy(&name, table.entries.data() + k * kSideEntrySize + kSideNameOffset, sizeof(name));
      places.push_back(MakeRela(k * kSideEntrySize + kSideNameOffset, layout.strings_symbol, R_X86_64_32, name));
    }
    BuiltSection entries{std::string(kSideTableSection), {}, std::move(table.entries)};
    entries.header.sh_type = SHT_PROGBITS;
    entries.header.sh_addralign = 8;
    const size_t entries_index = elf.Add(std::move(entries));
    rela_sections.push_back(elf.Add(RelaSection(std::string(kSideTableSection), places, entries_index)));
    BuiltSection strings{std::string(kSideStringsSection), {}, std::move(table.strings)};
    strings.header.sh_type = SHT_PROGBITS;
    strings.header.sh_addralign = 1;
    elf.Add(std::move(strings));
  }
  BuiltSection stack{".note.GNU-stack", {}, {}};
  stack.header.sh_type = SHT_PROGBITS;
  stack.header.sh_addralign = 1;
  elf.Add(std::move(stack));

  const size_t symtab_index = elf.next_index();
  BuiltSection symtab{".symtab", {}, AsBytes(layout.symbols)};
  symtab.header.sh_type = SHT_SYMTAB;
  symtab.header.sh_link = static_cast<uint32_t>(symtab_index + 1);
  symtab.header.sh_info = static_cast<uint32_t>(layout.first_global);
  symtab.header.sh_addralign = 8;
  symtab.header.sh_entsize = sizeof(Elf64_Sym);
  elf.Add(std::move(symtab));
  BuiltSection strtab{".strtab", {}, layout.names.bytes()};
  strtab.header.sh_type = SHT_STRTAB;
  strtab.header.sh_addralign = 1;
  elf.Add(std::move(strtab));
  for (size_t rela : rela_sections) elf.at(rela).header.sh_link = static_cast<uint32_t>(symtab_index);
  return elf.Write(path);
}

}  // namespace lp::patchbuild::generate
