#include "tests/patchbuild/symbols/object_functions.hpp"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>

#include <map>
#include <string>

#include "common/file_util.hpp"
#include "common/raii.hpp"

namespace lp::patchbuild::symbols::testing {
namespace {

using ElfPtr = CPtr<Elf, &elf_end>;

RelocKind KindOf(std::uint32_t type) {
  switch (type) {
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
      return RelocKind::kPcRelative;
    case R_X86_64_64:
    case R_X86_64_32S:
      return RelocKind::kAbsolute;
    default:
      return RelocKind::kUnknown;
  }
}

// Bytes of code a relocation type writes (x86_64).
std::uint32_t RelocSize(std::uint32_t type) {
  switch (type) {
    case R_X86_64_64:
    case R_X86_64_PC64:
      return 8;
    default:  // PC32, PLT32, 32, 32S, GOTPCREL, GOTPCRELX, REX_GOTPCRELX
      return 4;
  }
}

struct ObjectView {
  Elf* elf;
  std::size_t shstrndx = 0;
  Elf_Scn* symtab = nullptr;
  GElf_Shdr symtab_hdr{};
};

std::string SectionName(const ObjectView& obj, std::size_t index) {
  GElf_Shdr shdr;
  Elf_Scn* scn = elf_getscn(obj.elf, index);
  if (!scn || !gelf_getshdr(scn, &shdr)) return {};
  const char* name = elf_strptr(obj.elf, obj.shstrndx, shdr.sh_name);
  return name ? name : "";
}

std::string SymbolName(const ObjectView& obj, const GElf_Sym& sym) {
  if (GELF_ST_TYPE(sym.st_info) == STT_SECTION) return SectionName(obj, sym.st_shndx);
  const char* name = elf_strptr(obj.elf, obj.symtab_hdr.sh_link, sym.st_name);
  return name ? name : "";
}

// Relocations by the section they apply to.
std::map<std::size_t, std::vector<GElf_Rela>> ReadRelocations(const ObjectView& obj) {
  std::map<std::size_t, std::vector<GElf_Rela>> relas;
  for (Elf_Scn* scn = elf_nextscn(obj.elf, nullptr); scn; scn = elf_nextscn(obj.elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (std::size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Rela rela;
      if (gelf_getrela(data, static_cast<int>(i), &rela)) relas[shdr.sh_info].push_back(rela);
    }
  }
  return relas;
}

ObjectFunction MakeFunction(const ObjectView& obj, const GElf_Sym& sym,
                            const std::vector<GElf_Rela>& relas, Elf_Data* symbols) {
  ObjectFunction fn;
  fn.code.name = SymbolName(obj, sym);
  fn.global = GELF_ST_BIND(sym.st_info) != STB_LOCAL;
  fn.code.weak = GELF_ST_BIND(sym.st_info) == STB_WEAK;
  Elf_Data* text = elf_getdata(elf_getscn(obj.elf, sym.st_shndx), nullptr);
  if (!text || !text->d_buf || sym.st_value + sym.st_size > text->d_size) return fn;
  const auto* base = static_cast<const std::uint8_t*>(text->d_buf) + sym.st_value;
  fn.code.bytes.assign(base, base + sym.st_size);
  for (const GElf_Rela& rela : relas) {
    if (rela.r_offset < sym.st_value || rela.r_offset >= sym.st_value + sym.st_size) continue;
    GElf_Sym target;
    gelf_getsym(symbols, static_cast<int>(GELF_R_SYM(rela.r_info)), &target);
    auto type = static_cast<std::uint32_t>(GELF_R_TYPE(rela.r_info));
    fn.code.relocs.push_back({rela.r_offset - sym.st_value, RelocSize(type), SymbolName(obj, target),
                              KindOf(type), rela.r_addend});
  }
  return fn;
}

}  // namespace

Expected<std::vector<ObjectFunction>> ReadObjectFunctions(const std::filesystem::path& object) {
  elf_version(EV_CURRENT);
  auto fd = OpenReadOnly(object);
  if (!fd) return fd.error();
  ElfPtr elf(elf_begin(fd->get(), ELF_C_READ, nullptr));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) {
    return MakeError(ErrorCode::kParse, object.string() + ": not an ELF object");
  }
  ObjectView obj{elf.get()};
  elf_getshdrstrndx(obj.elf, &obj.shstrndx);
  for (Elf_Scn* scn = elf_nextscn(obj.elf, nullptr); scn; scn = elf_nextscn(obj.elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB) {
      obj.symtab = scn;
      obj.symtab_hdr = shdr;
    }
  }
  if (!obj.symtab) return MakeError(ErrorCode::kParse, object.string() + ": no symbol table");
  auto relas = ReadRelocations(obj);
  Elf_Data* symbols = elf_getdata(obj.symtab, nullptr);
  std::vector<ObjectFunction> functions;
  for (std::size_t i = 0; symbols && i < obj.symtab_hdr.sh_size / obj.symtab_hdr.sh_entsize; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(symbols, static_cast<int>(i), &sym)) continue;
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_size == 0) continue;
    functions.push_back(MakeFunction(obj, sym, relas[sym.st_shndx], symbols));
  }
  return functions;
}

}  // namespace lp::patchbuild::symbols::testing
