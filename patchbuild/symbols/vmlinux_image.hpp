// A read-only view of an uncompressed vmlinux (what scripts/extract-vmlinux
// writes): its loadable segments, so kernel virtual addresses (kallsyms
// addresses, 0xffffffff81xxxxxx) can be turned into bytes of the file.
// Debian's vmlinux has section headers but no .symtab, so only the program
// headers are trusted here; they are what the boot loader loads too.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp::patchbuild::symbols {

struct LoadSegment {
  std::uint64_t vaddr = 0;
  std::uint64_t file_offset = 0;
  std::uint64_t file_size = 0;  // bytes present in the file (memsz may be larger: .bss)
  bool executable = false;
};

// Does not own the bytes: the caller keeps them alive and unchanged for the
// lifetime of the image and of every span it hands out.
class VmlinuxImage {
 public:
  // Accepts a 64-bit little-endian ELF with at least one PT_LOAD.
  static Expected<VmlinuxImage> Open(std::string_view elf_bytes);

  std::string_view bytes() const { return bytes_; }
  std::uint16_t machine() const { return machine_; }
  const std::vector<LoadSegment>& segments() const { return segments_; }

  // The file bytes of [address, address + size); an error when any part of
  // the range is not backed by a segment's file contents.
  Expected<std::span<const std::uint8_t>> Read(std::uint64_t address, std::uint64_t size) const;

  // Virtual address of a file offset, when the offset is inside a segment.
  bool FileOffsetToAddress(std::uint64_t offset, std::uint64_t* address) const;

 private:
  std::string_view bytes_;
  std::uint16_t machine_ = 0;
  std::vector<LoadSegment> segments_;
};

}  // namespace lp::patchbuild::symbols
