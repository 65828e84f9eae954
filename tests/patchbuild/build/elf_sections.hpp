// Section names of an ELF64 little-endian relocatable object, read by hand
// so the tree tests need no libelf (the diff stage owns the real ELF model).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lp::patchbuild::tree::testing {

template <class T>
T ReadAt(const std::string& bytes, std::size_t offset) {
  T value{};
  if (offset + sizeof(T) <= bytes.size()) std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

inline std::vector<std::string> ElfSectionNames(const std::string& bytes) {
  std::vector<std::string> names;
  if (bytes.size() < 64 || bytes.compare(0, 4, "\x7f" "ELF") != 0 || bytes[4] != 2) return names;
  auto shoff = ReadAt<std::uint64_t>(bytes, 0x28);
  auto shentsize = ReadAt<std::uint16_t>(bytes, 0x3A);
  auto shnum = ReadAt<std::uint16_t>(bytes, 0x3C);
  auto shstrndx = ReadAt<std::uint16_t>(bytes, 0x3E);
  std::size_t strtab_header = shoff + std::size_t{shstrndx} * shentsize;
  auto strtab = ReadAt<std::uint64_t>(bytes, strtab_header + 0x18);
  for (std::size_t i = 0; i < shnum; ++i) {
    auto name = ReadAt<std::uint32_t>(bytes, shoff + i * shentsize);
    std::size_t at = strtab + name;
    if (at >= bytes.size()) continue;
    names.emplace_back(bytes.c_str() + at);
  }
  return names;
}

}  // namespace lp::patchbuild::tree::testing
