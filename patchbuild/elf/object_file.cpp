// Reads an ELF relocatable object into the ObjectFile graph. Every index in
// the file is checked before it is followed: patchbuild reads objects that a
// failed or interrupted kbuild may have left truncated, and the fuzz-style
// tests feed it cut-off files on purpose.
#include "patchbuild/elf/object_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lp::patchbuild::elf {
namespace {

Error ElfError(const std::string& what) {
  return MakeError(ErrorCode::kParse, what + ": " + elf_errmsg(-1));
}

Error Malformed(const std::string& what) {
  return MakeError(ErrorCode::kParse, "malformed ELF object: " + what);
}

}  // namespace

const char* StatusName(Status s) {
  switch (s) {
    case Status::New: return "new";
    case Status::Changed: return "changed";
    case Status::Same: return "same";
  }
  return "?";
}

std::span<const Relocation> Section::RelocationsIn(uint64_t begin, uint64_t end) const {
  auto first = std::lower_bound(relocations.begin(), relocations.end(), begin,
                                [](const Relocation& r, uint64_t off) { return r.offset < off; });
  auto last = std::lower_bound(first, relocations.end(), end,
                               [](const Relocation& r, uint64_t off) { return r.offset < off; });
  return {first, last};
}

Symbol* Section::SymbolAt(uint64_t offset) const {
  Symbol* best = nullptr;
  for (Symbol* sym : symbols) {
    if (!sym->IsFunction() && !sym->IsObject()) continue;
    if (sym->value > offset) break;
    const bool covers = offset < sym->value + sym->size || (sym->size == 0 && sym->value == offset);
    if (covers) best = sym;
  }
  return best;
}

std::span<const uint8_t> Symbol::Bytes() const {
  if (!section || section->data.empty()) return {};
  if (value > section->data.size()) return {};
  const uint64_t n = std::min<uint64_t>(size, section->data.size() - value);
  return section->data.subspan(value, n);
}

ObjectFile::~ObjectFile() = default;

Section* ObjectFile::FindSection(std::string_view name) const {
  for (const auto& sec : sections_) {
    if (sec->name == name) return sec.get();
  }
  return nullptr;
}

Symbol* ObjectFile::FindSymbol(std::string_view name) const {
  for (const auto& sym : symbols_) {
    if (sym->name == name) return sym.get();
  }
  return nullptr;
}

// Builds one ObjectFile step by step; each step validates what it reads.
class ObjectFile::Loader {
 public:
  explicit Loader(ObjectFile& obj) : obj_(obj) {}

  lp::Status Run() {
    LP_TRY(OpenElf());
    LP_TRY(CheckHeader());
    LP_TRY(ReadSections());
    LP_TRY(ReadSymbols());
    LP_TRY(ReadRelocations());
    return Ok();
  }

 private:
  lp::Status OpenElf() {
    const int fd = ::open(obj_.path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
      return MakeError(code, std::string("cannot open: ") + std::strerror(errno));
    }
    obj_.fd_.Reset(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return MakeError(ErrorCode::kIo, std::strerror(errno));
    file_size_ = static_cast<uint64_t>(st.st_size);
    obj_.elf_.reset(elf_begin(fd, ELF_C_READ, nullptr));
    if (!obj_.elf_) return ElfError("not an ELF file");
    if (elf_kind(obj_.elf_.get()) != ELF_K_ELF) {
      return MakeError(ErrorCode::kParse, "not an ELF object (wrong magic)");
    }
    return Ok();
  }

  lp::Status CheckHeader() {
    Elf* elf = obj_.elf_.get();
    if (gelf_getclass(elf) != ELFCLASS64) return Malformed("not a 64-bit ELF (ELFCLASS64)");
    GElf_Ehdr ehdr{};
    if (!gelf_getehdr(elf, &ehdr)) return ElfError("cannot read ELF header");
    if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB) return Malformed("not little-endian");
    if (ehdr.e_type != ET_REL) {
      return MakeError(ErrorCode::kUnsupported,
                       "not a relocatable object (e_type " + std::to_string(ehdr.e_type) +
                           "); expected a .o from the kernel build");
    }
    obj_.arch_ = FindArch(ehdr.e_machine);
    if (!obj_.arch_) {
      return MakeError(ErrorCode::kUnsupported,
                       "unsupported machine e_machine=" + std::to_string(ehdr.e_machine));
    }
    if (ehdr.e_shoff > file_size_) return Malformed("section header table past end of file");
    return Ok();
  }

  lp::Status ReadSections() {
    Elf* elf = obj_.elf_.get();
    size_t count = 0;
    size_t shstrndx = 0;
    if (elf_getshdrnum(elf, &count) != 0) return ElfError("cannot count sections");
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) return ElfError("no section name table");
    if (count == 0) return Malformed("no sections");
    if (shstrndx >= count) return Malformed("section name table index out of range");
    for (size_t i = 0; i < count; ++i) {
      auto sec = std::make_unique<Section>();
      sec->index = i;
      Elf_Scn* scn = elf_getscn(elf, i);
      if (!scn || !gelf_getshdr(scn, &sec->header)) {
        return ElfError("cannot read section header " + std::to_string(i));
      }
      if (i != 0) LP_TRY(ReadSectionBody(scn, shstrndx, *sec));
      obj_.sections_.push_back(std::move(sec));
    }
    return Ok();
  }

  lp::Status ReadSectionBody(Elf_Scn* scn, size_t shstrndx, Section& sec) {
    const char* name = elf_strptr(obj_.elf_.get(), shstrndx, sec.header.sh_name);
    if (!name) return ElfError("bad name of section " + std::to_string(sec.index));
    sec.name = name;
    if (sec.header.sh_type == SHT_NOBITS || sec.header.sh_size == 0) return Ok();
    if (sec.header.sh_offset > file_size_ || sec.header.sh_size > file_size_ - sec.header.sh_offset) {
      return Malformed("section " + sec.name + " extends past end of file (truncated?)");
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf) return ElfError("cannot read section " + sec.name);
    if (data->d_size != sec.header.sh_size) return Malformed("short data in section " + sec.name);
    sec.data = {static_cast<const uint8_t*>(data->d_buf), data->d_size};
    return Ok();
  }

  Section* SymtabSection() {
    for (auto& sec : obj_.sections_) {
      if (sec->header.sh_type == SHT_SYMTAB) return sec.get();
    }
    return nullptr;
  }

  // Resolves st_shndx, following SHT_SYMTAB_SHNDX for objects with more than
  // 65279 sections (allyesconfig-sized objects with -ffunction-sections).
  Expected<size_t> SectionIndexOf(const GElf_Sym& sym, Elf_Data* xdata, size_t i) {
    if (sym.st_shndx != SHN_XINDEX) return static_cast<size_t>(sym.st_shndx);
    if (!xdata || (i + 1) * sizeof(Elf32_Word) > xdata->d_size) {
      return Malformed("SHN_XINDEX without a usable .symtab_shndx");
    }
    Elf32_Word x = 0;
    std::memcpy(&x, static_cast<const char*>(xdata->d_buf) + i * sizeof(Elf32_Word), sizeof x);
    return static_cast<size_t>(x);
  }

  Elf_Data* ExtendedIndexData() {
    for (auto& sec : obj_.sections_) {
      if (sec->header.sh_type != SHT_SYMTAB_SHNDX) continue;
      return elf_getdata(elf_getscn(obj_.elf_.get(), sec->index), nullptr);
    }
    return nullptr;
  }

  lp::Status ReadSymbols() {
    Section* symtab = SymtabSection();
    if (!symtab) return Malformed("no symbol table (.symtab); was the object stripped?");
    symtab_index_ = symtab->index;
    if (symtab->header.sh_entsize != sizeof(Elf64_Sym)) return Malformed("bad .symtab entry size");
    if (symtab->header.sh_link >= obj_.sections_.size()) return Malformed("bad .symtab string table link");
    Elf_Data* data = elf_getdata(elf_getscn(obj_.elf_.get(), symtab->index), nullptr);
    if (!data) return ElfError("cannot read .symtab");
    Elf_Data* xdata = ExtendedIndexData();
    const size_t count = symtab->header.sh_size / sizeof(Elf64_Sym);
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym raw{};
      if (!gelf_getsym(data, static_cast<int>(i), &raw)) return ElfError("cannot read symbol");
      auto sym = std::make_unique<Symbol>();
      LP_TRY(FillSymbol(raw, xdata, i, symtab->header.sh_link, *sym));
      obj_.symbols_.push_back(std::move(sym));
    }
    for (auto& sec : obj_.sections_) {
      std::stable_sort(sec->symbols.begin(), sec->symbols.end(),
                       [](const Symbol* a, const Symbol* b) { return a->value < b->value; });
    }
    return Ok();
  }

  lp::Status FillSymbol(const GElf_Sym& raw, Elf_Data* xdata, size_t i, size_t strtab, Symbol& sym) {
    sym.index = i;
    const char* name = elf_strptr(obj_.elf_.get(), strtab, raw.st_name);
    if (!name) return ElfError("bad name of symbol " + std::to_string(i));
    sym.name = name;
    sym.type = GELF_ST_TYPE(raw.st_info);
    sym.bind = GELF_ST_BIND(raw.st_info);
    sym.value = raw.st_value;
    sym.size = raw.st_size;
    auto shndx = SectionIndexOf(raw, xdata, i);
    if (!shndx) return shndx.error();
    sym.shndx = raw.st_shndx;
    const bool reserved = raw.st_shndx >= SHN_LORESERVE && raw.st_shndx != SHN_XINDEX;
    if (raw.st_shndx == SHN_UNDEF || reserved) return Ok();  // undefined, ABS, COMMON
    if (*shndx >= obj_.sections_.size()) {
      return Malformed("symbol " + sym.name + " has section index out of range");
    }
    sym.section = obj_.sections_[*shndx].get();
    // Later passes read [value, value + size) of the section: a symbol that
    // claims more than its section holds is corrupt, not just odd.
    const bool sized = sym.IsFunction() || sym.IsObject();
    if (sized && (sym.value > sym.section->size() || sym.size > sym.section->size() - sym.value)) {
      return Malformed("symbol " + sym.name + " extends past the end of " + sym.section->name);
    }
    if (sym.IsSectionSymbol()) {
      sym.section->section_symbol = &sym;
      sym.name = sym.section->name;  // STT_SECTION symbols are unnamed in the file
    } else if (sym.type != STT_FILE) {
      sym.section->symbols.push_back(&sym);
    }
    return Ok();
  }

  lp::Status ReadRelocations() {
    for (auto& sec : obj_.sections_) {
      if (sec->header.sh_type == SHT_REL) {
        return MakeError(ErrorCode::kUnsupported, "SHT_REL section " + sec->name + " (only RELA)");
      }
      if (sec->header.sh_type != SHT_RELA) continue;
      LP_TRY(ReadRela(*sec));
    }
    return Ok();
  }

  lp::Status ReadRela(Section& rela) {
    if (rela.header.sh_link != symtab_index_) return Malformed(rela.name + " does not use .symtab");
    if (rela.header.sh_info == 0 || rela.header.sh_info >= obj_.sections_.size()) {
      return Malformed(rela.name + " applies to a section out of range");
    }
    if (rela.header.sh_entsize != sizeof(Elf64_Rela)) return Malformed(rela.name + " bad entry size");
    Section& base = *obj_.sections_[rela.header.sh_info];
    rela.base = &base;
    base.rela = &rela;
    Elf_Data* data = elf_getdata(elf_getscn(obj_.elf_.get(), rela.index), nullptr);
    if (!data) return ElfError("cannot read " + rela.name);
    const size_t count = rela.header.sh_size / sizeof(Elf64_Rela);
    for (size_t i = 0; i < count; ++i) {
      GElf_Rela raw{};
      if (!gelf_getrela(data, static_cast<int>(i), &raw)) return ElfError("cannot read " + rela.name);
      const size_t sym = GELF_R_SYM(raw.r_info);
      if (sym >= obj_.symbols_.size()) return Malformed(rela.name + " refers to a symbol out of range");
      if (raw.r_offset >= base.size() && !base.IsNoBits()) {
        return Malformed(rela.name + " has an offset past the end of " + base.name);
      }
      base.relocations.push_back(Relocation{raw.r_offset, static_cast<uint32_t>(GELF_R_TYPE(raw.r_info)),
                                            obj_.symbols_[sym].get(), raw.r_addend});
    }
    std::stable_sort(base.relocations.begin(), base.relocations.end(),
                     [](const Relocation& a, const Relocation& b) { return a.offset < b.offset; });
    return Ok();
  }

  ObjectFile& obj_;
  uint64_t file_size_ = 0;
  size_t symtab_index_ = 0;
};

Expected<std::unique_ptr<ObjectFile>> ObjectFile::Open(const std::filesystem::path& path) {
  // elf_version() must run before any other libelf call; it is idempotent.
  if (elf_version(EV_CURRENT) == EV_NONE) {
    return MakeError(ErrorCode::kInternal, "libelf is out of date");
  }
  std::unique_ptr<ObjectFile> obj(new ObjectFile());
  obj->path_ = path;
  Loader loader(*obj);
  if (auto st = loader.Run(); !st) return st.error().WithContext(path.string());
  return obj;
}

}  // namespace lp::patchbuild::elf
