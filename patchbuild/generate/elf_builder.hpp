// A small libelf writer: collects sections with their bytes and writes a
// new ELF64 little-endian file in one go. Used for the generated object and
// for rewriting the finished .ko. Holds every buffer until Write() returns,
// since libelf only keeps pointers to them.
#pragma once

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp::patchbuild::generate {

// A string table under construction (.strtab, .shstrtab).
class StringTable {
 public:
  StringTable() : bytes_(1, 0) {}
  uint32_t Add(std::string_view s);
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

struct BuiltSection {
  std::string name;
  GElf_Shdr header{};  // sh_name and sh_offset are filled by Write()
  std::vector<uint8_t> bytes;  // empty for SHT_NOBITS (sh_size says how big)
};

class ElfBuilder {
 public:
  ElfBuilder(uint16_t machine, uint16_t type) : machine_(machine), type_(type) {}
  // Returns the section's index in the file (the first is 1).
  size_t Add(BuiltSection section);
  BuiltSection& at(size_t index) { return sections_[index - 1]; }
  size_t next_index() const { return sections_.size() + 1; }
  // Appends .shstrtab and writes the file (replacing it).
  Status Write(const std::filesystem::path& path);

 private:
  uint16_t machine_;
  uint16_t type_;
  std::vector<BuiltSection> sections_;
};

// Raw bytes of a vector of POD entries (Elf64_Sym, Elf64_Rela).
template <class T>
std::vector<uint8_t> AsBytes(const std::vector<T>& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  return std::vector<uint8_t>(p, p + v.size() * sizeof(T));
}

}  // namespace lp::patchbuild::generate
