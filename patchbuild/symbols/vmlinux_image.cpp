#include "patchbuild/symbols/vmlinux_image.hpp"

#include <elf.h>

#include <cstring>
#include <sstream>

namespace lp::patchbuild::symbols {
namespace {

template <class T>
bool ReadStruct(std::string_view bytes, std::uint64_t offset, T* out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(out, bytes.data() + offset, sizeof(T));
  return true;
}

std::string Hex(std::uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

Expected<LoadSegment> ReadSegment(std::string_view bytes, const Elf64_Phdr& phdr) {
  if (phdr.p_offset > bytes.size() || bytes.size() - phdr.p_offset < phdr.p_filesz) {
    return MakeError(ErrorCode::kParse, "segment at " + Hex(phdr.p_vaddr) +
                                            " runs past the end of the file (truncated vmlinux?)");
  }
  return LoadSegment{phdr.p_vaddr, phdr.p_offset, phdr.p_filesz, (phdr.p_flags & PF_X) != 0};
}

}  // namespace

Expected<VmlinuxImage> VmlinuxImage::Open(std::string_view elf_bytes) {
  Elf64_Ehdr ehdr;
  if (!ReadStruct(elf_bytes, 0, &ehdr) || std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0) {
    return MakeError(ErrorCode::kParse, "vmlinux: not an ELF file");
  }
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB) {
    return MakeError(ErrorCode::kUnsupported, "vmlinux: only 64-bit little-endian ELF is supported");
  }
  if (ehdr.e_phentsize != sizeof(Elf64_Phdr)) {
    return MakeError(ErrorCode::kParse, "vmlinux: unexpected program header size");
  }
  VmlinuxImage image;
  image.bytes_ = elf_bytes;
  image.machine_ = ehdr.e_machine;
  for (unsigned i = 0; i < ehdr.e_phnum; ++i) {
    Elf64_Phdr phdr;
    if (!ReadStruct(elf_bytes, ehdr.e_phoff + std::uint64_t{i} * sizeof(phdr), &phdr)) {
      return MakeError(ErrorCode::kParse, "vmlinux: program headers run past the end of the file");
    }
    if (phdr.p_type != PT_LOAD) continue;
    auto segment = ReadSegment(elf_bytes, phdr);
    if (!segment) return segment.error().WithContext("vmlinux");
    image.segments_.push_back(*segment);
  }
  if (image.segments_.empty()) return MakeError(ErrorCode::kParse, "vmlinux: no PT_LOAD segment");
  return image;
}

Expected<std::span<const std::uint8_t>> VmlinuxImage::Read(std::uint64_t address,
                                                           std::uint64_t size) const {
  for (const LoadSegment& segment : segments_) {
    if (address < segment.vaddr || address - segment.vaddr >= segment.file_size) continue;
    std::uint64_t start = address - segment.vaddr;
    if (segment.file_size - start < size) break;
    const auto* base = reinterpret_cast<const std::uint8_t*>(bytes_.data());
    return std::span<const std::uint8_t>(base + segment.file_offset + start, size);
  }
  return MakeError(ErrorCode::kNotFound, "vmlinux: no file bytes for " + std::to_string(size) +
                                             " bytes at " + Hex(address));
}

bool VmlinuxImage::FileOffsetToAddress(std::uint64_t offset, std::uint64_t* address) const {
  for (const LoadSegment& segment : segments_) {
    if (offset < segment.file_offset || offset - segment.file_offset >= segment.file_size) continue;
    *address = segment.vaddr + (offset - segment.file_offset);
    return true;
  }
  return false;
}

}  // namespace lp::patchbuild::symbols
