#include "patchbuild/modinfo.hpp"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/raii.hpp"

namespace lp::patchbuild {
namespace {

using ElfPtr = CPtr<Elf, &elf_end>;

// The raw bytes of the section called `wanted`, copied out of elf.
Expected<std::string> SectionBytes(Elf* elf, const char* wanted) {
  std::size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0)
    return MakeError(ErrorCode::kParse, std::string("no section name table: ") + elf_errmsg(-1));
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (!name || std::strcmp(name, wanted) != 0 || sh.sh_type == SHT_NOBITS) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);  // owned by elf
    if (!data || !data->d_buf) return std::string();
    return std::string(static_cast<const char*>(data->d_buf), data->d_size);
  }
  return MakeError(ErrorCode::kNotFound, std::string("no ") + wanted + " section");
}

}  // namespace

Expected<std::string> ReadModinfo(std::string_view ko_bytes, std::string_view key) {
  elf_version(EV_CURRENT);
  // elf_memory wants a mutable buffer; give it a private copy.
  std::vector<char> copy(ko_bytes.begin(), ko_bytes.end());
  ElfPtr elf(elf_memory(copy.data(), copy.size()));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF)
    return MakeError(ErrorCode::kParse, "not an ELF file");
  auto modinfo = SectionBytes(elf.get(), ".modinfo");
  if (!modinfo) return modinfo.error();
  std::string prefix = std::string(key) + "=";
  std::string_view rest = *modinfo;
  while (!rest.empty()) {  // NUL-separated "key=value" strings
    std::string_view entry = rest.substr(0, rest.find('\0'));
    if (entry.starts_with(prefix)) return std::string(entry.substr(prefix.size()));
    rest.remove_prefix(std::min(rest.size(), entry.size() + 1));
  }
  return MakeError(ErrorCode::kNotFound, "no " + std::string(key) + "= in .modinfo");
}

Expected<std::string> ModuleName(const std::filesystem::path& ko_path, std::string_view ko_bytes) {
  auto name = ReadModinfo(ko_bytes, "name");
  if (name) return name;
  if (name.error().code != ErrorCode::kNotFound) return name.error().WithContext(ko_path.string());
  std::string stem = ko_path.stem().string();
  std::replace(stem.begin(), stem.end(), '-', '_');
  return stem;
}

}  // namespace lp::patchbuild
