#include "patchbuild/generate/elf_builder.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "common/raii.hpp"

namespace lp::patchbuild::generate {
namespace {

Error LibelfError(const std::string& what) {
  return MakeError(ErrorCode::kIo, what + ": " + elf_errmsg(-1));
}

Elf_Type DataType(uint32_t sh_type) {
  switch (sh_type) {
    case SHT_RELA: return ELF_T_RELA;
    case SHT_SYMTAB: return ELF_T_SYM;
    default: return ELF_T_BYTE;
  }
}

}  // namespace

uint32_t StringTable::Add(std::string_view s) {
  const auto at = static_cast<uint32_t>(bytes_.size());
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  bytes_.push_back(0);
  return at;
}

size_t ElfBuilder::Add(BuiltSection section) {
  sections_.push_back(std::move(section));
  return sections_.size();
}

Status ElfBuilder::Write(const std::filesystem::path& path) {
  StringTable names;
  for (BuiltSection& s : sections_) s.header.sh_name = names.Add(s.name);
  BuiltSection shstrtab{".shstrtab", {}, {}};
  shstrtab.header.sh_type = SHT_STRTAB;
  shstrtab.header.sh_addralign = 1;
  shstrtab.header.sh_name = names.Add(".shstrtab");
  shstrtab.bytes = names.bytes();
  sections_.push_back(std::move(shstrtab));

  if (elf_version(EV_CURRENT) == EV_NONE) return LibelfError("libelf");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "creating " + path.string() + ": " + std::strerror(errno));
  CPtr<Elf, &elf_end> elf(elf_begin(fd.get(), ELF_C_WRITE, nullptr));
  if (!elf) return LibelfError("elf_begin " + path.string());
  GElf_Ehdr ehdr{};
  if (!gelf_newehdr(elf.get(), ELFCLASS64) || !gelf_getehdr(elf.get(), &ehdr)) return LibelfError("ELF header");
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_type = type_;
  ehdr.e_machine = machine_;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_shstrndx = static_cast<uint16_t>(sections_.size());
  if (!gelf_update_ehdr(elf.get(), &ehdr)) return LibelfError("ELF header");
  for (BuiltSection& s : sections_) {
    Elf_Scn* scn = elf_newscn(elf.get());
    Elf_Data* data = scn ? elf_newdata(scn) : nullptr;
    if (!data) return LibelfError("section " + s.name);
    data->d_type = DataType(s.header.sh_type);
    data->d_buf = s.bytes.empty() ? nullptr : s.bytes.data();
    data->d_size = s.header.sh_type == SHT_NOBITS ? s.header.sh_size : s.bytes.size();
    data->d_align = s.header.sh_addralign ? s.header.sh_addralign : 1;
    data->d_version = EV_CURRENT;
    GElf_Shdr shdr = s.header;
    shdr.sh_size = data->d_size;
    if (!gelf_update_shdr(scn, &shdr)) return LibelfError("section header " + s.name);
  }
  if (elf_update(elf.get(), ELF_C_WRITE) < 0) return LibelfError("writing " + path.string());
  sections_.pop_back();
  return Ok();
}

}  // namespace lp::patchbuild::generate
