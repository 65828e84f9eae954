// Hand-made vmlinux images for tests that must not need a kernel: an ELF64
// header, one PT_LOAD program header, and the given contents at file offset
// 0x1000 mapped at vaddr.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lp::patchbuild::symbols::testing {

inline constexpr std::uint64_t kSyntheticBase = 0xffffffff81000000ull;

inline std::string MakeElfImage(const std::vector<std::uint8_t>& contents,
                                std::uint64_t vaddr = kSyntheticBase,
                                std::uint16_t machine = EM_X86_64) {
  constexpr std::uint64_t kDataOffset = 0x1000;
  std::string file(kDataOffset + contents.size(), '\0');
  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_type = ET_EXEC;
  ehdr.e_machine = machine;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_phoff = sizeof(Elf64_Ehdr);
  ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  ehdr.e_phnum = 1;
  Elf64_Phdr phdr{};
  phdr.p_type = PT_LOAD;
  phdr.p_flags = PF_R | PF_X;
  phdr.p_offset = kDataOffset;
  phdr.p_vaddr = vaddr;
  phdr.p_paddr = vaddr;
  phdr.p_filesz = contents.size();
  phdr.p_memsz = contents.size();
  phdr.p_align = 0x1000;
  std::memcpy(file.data(), &ehdr, sizeof(ehdr));
  std::memcpy(file.data() + sizeof(ehdr), &phdr, sizeof(phdr));
  if (!contents.empty()) std::memcpy(file.data() + kDataOffset, contents.data(), contents.size());
  return file;
}

}  // namespace lp::patchbuild::symbols::testing
