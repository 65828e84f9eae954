#include "patchd/module_info.hpp"

#include <elf.h>

#include <cstring>

namespace lp::patchd {
namespace {

template <class T>
bool ReadStruct(std::string_view bytes, std::uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

Expected<std::string_view> SectionBytes(std::string_view elf, const Elf64_Shdr& sh) {
  if (sh.sh_type == SHT_NOBITS) return std::string_view();
  if (sh.sh_offset > elf.size() || elf.size() - sh.sh_offset < sh.sh_size)
    return MakeError(ErrorCode::kParse, "section outside the file");
  return elf.substr(sh.sh_offset, sh.sh_size);
}

Expected<std::string_view> FindModinfo(std::string_view elf) {
  Elf64_Ehdr eh;
  if (!ReadStruct(elf, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return MakeError(ErrorCode::kParse, "not a 64-bit little-endian ELF module");
  Elf64_Shdr names;
  if (!ReadStruct(elf, eh.e_shoff + std::uint64_t{eh.e_shstrndx} * sizeof(Elf64_Shdr), names))
    return MakeError(ErrorCode::kParse, "bad section header table");
  auto strtab = SectionBytes(elf, names);
  if (!strtab) return strtab.error();
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!ReadStruct(elf, eh.e_shoff + std::uint64_t{i} * sizeof(Elf64_Shdr), sh))
      return MakeError(ErrorCode::kParse, "bad section header table");
    if (sh.sh_name >= strtab->size()) continue;
    if (std::strncmp(strtab->data() + sh.sh_name, ".modinfo", strtab->size() - sh.sh_name) == 0)
      return SectionBytes(elf, sh);
  }
  return MakeError(ErrorCode::kParse, "no .modinfo section: not a kernel module");
}

}  // namespace

Expected<std::string> ModinfoValue(std::string_view elf_bytes, std::string_view key) {
  auto modinfo = FindModinfo(elf_bytes);
  if (!modinfo) return modinfo.error();
  std::string prefix = std::string(key) + "=";
  std::string_view rest = *modinfo;
  while (!rest.empty()) {
    std::size_t end = rest.find('\0');
    std::string_view entry = rest.substr(0, end);
    if (entry.substr(0, prefix.size()) == prefix) return std::string(entry.substr(prefix.size()));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return MakeError(ErrorCode::kNotFound, "module has no " + std::string(key) + "= in .modinfo");
}

}  // namespace lp::patchd
