#include "patchbuild/generate/klp_finalize.hpp"

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/file_util.hpp"
#include "common/raii.hpp"
#include "patchbuild/generate/elf_builder.hpp"
#include "patchbuild/generate/klp_side_table.hpp"

namespace lp::patchbuild::generate {
namespace {

struct InputSection {
  std::string name;
  GElf_Shdr header{};
  std::vector<uint8_t> bytes;
};

// The .ko as plain values (sections[0] is the null section).
struct Module {
  uint16_t machine = 0;
  std::vector<InputSection> sections;
  size_t Find(std::string_view name) const {
    for (size_t i = 1; i < sections.size(); ++i)
      if (sections[i].name == name) return i;
    return 0;
  }
};

Expected<Module> ReadModule(const std::filesystem::path& path, std::string& buffer) {
  auto bytes = ReadFile(path);
  if (!bytes) return bytes.error();
  buffer = std::move(*bytes);
  if (elf_version(EV_CURRENT) == EV_NONE) return MakeError(ErrorCode::kInternal, "libelf");
  CPtr<Elf, &elf_end> elf(elf_memory(buffer.data(), buffer.size()));
  GElf_Ehdr ehdr{};
  size_t shstrndx = 0;
  if (!elf || !gelf_getehdr(elf.get(), &ehdr) || ehdr.e_type != ET_REL || elf_getshdrstrndx(elf.get(), &shstrndx))
    return MakeError(ErrorCode::kParse, path.string() + ": not an ELF relocatable object");
  Module m;
  m.machine = ehdr.e_machine;
  m.sections.emplace_back();
  for (Elf_Scn* scn = elf_nextscn(elf.get(), nullptr); scn; scn = elf_nextscn(elf.get(), scn)) {
    InputSection s;
    if (!gelf_getshdr(scn, &s.header)) return MakeError(ErrorCode::kParse, path.string() + ": section header");
    const char* name = elf_strptr(elf.get(), shstrndx, s.header.sh_name);
    s.name = name ? name : "";
    if (s.header.sh_type != SHT_NOBITS) {
      Elf_Data* data = elf_rawdata(scn, nullptr);
      if (data && data->d_buf) {
        const auto* p = static_cast<const uint8_t*>(data->d_buf);
        s.bytes.assign(p, p + data->d_size);
      }
    }
    m.sections.push_back(std::move(s));
  }
  return m;
}

template <class T>
std::vector<T> Entries(const InputSection& s) {
  std::vector<T> out(s.bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), s.bytes.data(), out.size() * sizeof(T));
  return out;
}

// One livepatch relocation, placed: which section of the .ko it patches.
struct Placed {
  size_t section = 0;  // old index
  uint64_t offset = 0;
  KlpRelocEntry entry;
};

Expected<std::vector<Placed>> PlaceEntries(const Module& m, size_t table, size_t rela, size_t strings,
                                           const std::vector<Elf64_Sym>& symbols) {
  const std::vector<Elf64_Rela> relas = Entries<Elf64_Rela>(m.sections[rela]);
  auto out_of_range = [&](const Elf64_Rela& r, uint64_t width) {
    const size_t sym = ELF64_R_SYM(r.r_info);
    return r.r_offset + width > m.sections[table].bytes.size() || sym >= symbols.size() ||
           symbols[sym].st_shndx == SHN_UNDEF || symbols[sym].st_shndx >= m.sections.size();
  };
  // Name offsets first: the linker moved them where string tables of
  // several objects were concatenated (klp_side_table.hpp).
  std::string table_bytes(reinterpret_cast<const char*>(m.sections[table].bytes.data()),
                          m.sections[table].bytes.size());
  for (const Elf64_Rela& r : relas) {
    if (r.r_offset % kSideEntrySize != kSideNameOffset) continue;
    if (out_of_range(r, 4) || symbols[ELF64_R_SYM(r.r_info)].st_shndx != strings)
      return MakeError(ErrorCode::kParse, "side table name relocation out of range");
    const auto name = static_cast<uint32_t>(symbols[ELF64_R_SYM(r.r_info)].st_value + r.r_addend);
    std::memcpy(table_bytes.data() + r.r_offset, &name, sizeof(name));
  }
  auto entries = DecodeSideTable(table_bytes, std::string_view(reinterpret_cast<const char*>(
                                                                   m.sections[strings].bytes.data()),
                                                               m.sections[strings].bytes.size()));
  if (!entries) return entries.error();
  std::vector<Placed> placed(entries->size());
  std::vector<bool> seen(entries->size());
  for (const Elf64_Rela& r : relas) {
    if (r.r_offset % kSideEntrySize == kSideNameOffset) continue;
    const uint64_t i = r.r_offset / kSideEntrySize;
    const size_t sym = ELF64_R_SYM(r.r_info);
    if (i >= placed.size() || r.r_offset % kSideEntrySize != 0 || out_of_range(r, 8))
      return MakeError(ErrorCode::kParse, "side table relocation out of range");
    placed[i] = Placed{symbols[sym].st_shndx, symbols[sym].st_value + static_cast<uint64_t>(r.r_addend),
                       (*entries)[i]};
    seen[i] = true;
  }
  for (bool s : seen)
    if (!s) return MakeError(ErrorCode::kParse, "side table entry without its place relocation");
  return placed;
}

}  // namespace

Expected<FinalizeResult> FinalizeKlpRelocations(const std::filesystem::path& ko) {
  std::string buffer;
  auto module = ReadModule(ko, buffer);
  if (!module) return module.error().WithContext("finalizing " + ko.string());
  const Module& m = *module;
  const size_t table = m.Find(kSideTableSection), rela = m.Find(kSideTableRelaSection);
  const size_t strings = m.Find(kSideStringsSection), symtab = m.Find(".symtab");
  if (!table) return FinalizeResult{};
  if (!rela || !strings || !symtab || m.sections[symtab].header.sh_link >= m.sections.size())
    return MakeError(ErrorCode::kParse, ko.string() + ": incomplete livepatch side table");
  const size_t strtab = m.sections[symtab].header.sh_link;
  std::vector<Elf64_Sym> symbols = Entries<Elf64_Sym>(m.sections[symtab]);
  auto placed = PlaceEntries(m, table, rela, strings, symbols);
  if (!placed) return placed.error().WithContext(ko.string());

  // New section indexes: the side table and the old .shstrtab go.
  const std::set<size_t> dropped{table, rela, strings, m.Find(".shstrtab")};
  std::vector<size_t> index(m.sections.size(), 0);
  size_t next = 1;
  for (size_t i = 1; i < m.sections.size(); ++i)
    if (!dropped.count(i)) index[i] = next++;
  for (Elf64_Sym& s : symbols) {
    if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE) continue;
    if (index[s.st_shndx] == 0) {
      if (ELF64_ST_TYPE(s.st_info) != STT_SECTION)
        return MakeError(ErrorCode::kParse, ko.string() + ": a symbol lives in the side table");
      s.st_shndx = SHN_ABS;
      s.st_value = 0;
      continue;
    }
    s.st_shndx = static_cast<uint16_t>(index[s.st_shndx]);
  }
  // Livepatch symbols, appended (globals region), one per distinct name.
  std::vector<uint8_t> names = m.sections[strtab].bytes;
  std::map<std::string, size_t> klp_symbol;
  for (const Placed& p : *placed) {
    if (klp_symbol.count(p.entry.symbol)) continue;
    Elf64_Sym s{};
    s.st_name = static_cast<uint32_t>(names.size());
    names.insert(names.end(), p.entry.symbol.begin(), p.entry.symbol.end());
    names.push_back(0);
    s.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
    s.st_shndx = kShnLivepatch;
    klp_symbol[p.entry.symbol] = symbols.size();
    symbols.push_back(s);
  }
  // Relocations grouped by (object, patched section).
  std::map<std::pair<std::string, size_t>, std::vector<Elf64_Rela>> groups;
  for (const Placed& p : *placed) {
    auto object = KlpSymbolObject(p.entry.symbol);
    if (!object) return object.error();
    Elf64_Rela r{};
    r.r_offset = p.offset;
    r.r_info = ELF64_R_INFO(klp_symbol[p.entry.symbol], p.entry.type);
    r.r_addend = p.entry.addend;
    groups[{*object, p.section}].push_back(r);
  }

  ElfBuilder out(m.machine, ET_REL);
  for (size_t i = 1; i < m.sections.size(); ++i) {
    if (dropped.count(i)) continue;
    BuiltSection s{m.sections[i].name, m.sections[i].header, m.sections[i].bytes};
    auto remap = [&](uint32_t v) { return v < index.size() ? static_cast<uint32_t>(index[v]) : v; };
    s.header.sh_link = remap(s.header.sh_link);
    if (s.header.sh_type == SHT_RELA || (s.header.sh_flags & SHF_INFO_LINK)) s.header.sh_info = remap(s.header.sh_info);
    if (i == symtab) s.bytes = AsBytes(symbols);
    if (i == strtab) s.bytes = names;
    out.Add(std::move(s));
  }
  for (const auto& [key, relas] : groups) {
    BuiltSection s{".klp.rela." + key.first + "." + m.sections[key.second].name, {}, AsBytes(relas)};
    s.header.sh_type = SHT_RELA;
    s.header.sh_flags = SHF_ALLOC | SHF_INFO_LINK | kShfRelaLivepatch;
    s.header.sh_link = static_cast<uint32_t>(index[symtab]);
    s.header.sh_info = static_cast<uint32_t>(index[key.second]);
    s.header.sh_addralign = 8;
    s.header.sh_entsize = sizeof(Elf64_Rela);
    out.Add(std::move(s));
  }
  const std::filesystem::path tmp = ko.string() + ".klp-tmp";
  LP_TRY(out.Write(tmp));
  std::error_code ec;
  std::filesystem::rename(tmp, ko, ec);
  if (ec) return MakeError(ErrorCode::kIo, "replacing " + ko.string() + ": " + ec.message());
  return FinalizeResult{placed->size(), groups.size(), klp_symbol.size()};
}

}  // namespace lp::patchbuild::generate
