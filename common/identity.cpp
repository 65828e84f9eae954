// Build ids from notes blobs and ELF images, and the running kernel's identity.
// The ELF reader is hand-written (Elf64 little-endian only, every offset
// bounds-checked) so that lp_common, which runs on devices, needs no libelf.
#include "common/identity.hpp"

#include <elf.h>
#include <sys/utsname.h>

#include <cstring>

#include "common/crypto.hpp"
#include "common/file_util.hpp"

namespace lp {
namespace {

constexpr std::size_t kMaxNotesBytes = 1u << 20;
constexpr std::string_view kGnuNoteName("GNU\0", 4);

std::size_t AlignUp(std::size_t n, std::size_t align) { return (n + align - 1) / align * align; }

// Copies a trivially-copyable struct out of bytes at offset (no aliasing UB,
// no alignment assumptions); false when it would run past the end.
template <class T>
bool ReadStruct(std::string_view bytes, std::size_t offset, T* out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(out, bytes.data() + offset, sizeof(T));
  return true;
}

// Walks a notes blob; alignment is 4 for the kernel's notes and SHT_NOTE
// sections aligned to 4, 8 for sections such as .note.gnu.property.
Expected<std::string> FindBuildIdNote(std::string_view notes, std::size_t align) {
  std::size_t off = 0;
  while (off < notes.size()) {
    Elf64_Nhdr nh;  // same layout as Elf32_Nhdr: three 32-bit words
    if (!ReadStruct(notes, off, &nh))
      return MakeError(ErrorCode::kParse, "truncated note header at offset " + std::to_string(off));
    // Name and desc each start at the note's alignment, measured from the
    // start of the blob (gABI; .note.gnu.property uses 8 on 64-bit).
    std::size_t name_off = off + sizeof nh;
    std::size_t desc_off = AlignUp(name_off + nh.n_namesz, align);
    std::size_t next = AlignUp(desc_off + nh.n_descsz, align);
    if (desc_off > notes.size() || nh.n_descsz > notes.size() - desc_off)
      return MakeError(ErrorCode::kParse, "note at offset " + std::to_string(off) +
                                              " runs past the end of the notes");
    std::string_view name = notes.substr(name_off, nh.n_namesz);
    if (nh.n_type == NT_GNU_BUILD_ID && name == kGnuNoteName) {
      if (nh.n_descsz == 0) return MakeError(ErrorCode::kParse, "empty GNU build-id note");
      return HexEncode(notes.substr(desc_off, nh.n_descsz));
    }
    off = next;
  }
  return MakeError(ErrorCode::kNotFound, "no GNU build-id note");
}

Status CheckElf64Header(std::string_view elf, Elf64_Ehdr* eh) {
  if (!ReadStruct(elf, 0, eh) || std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
    return MakeError(ErrorCode::kParse, "not an ELF file");
  if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
    return MakeError(ErrorCode::kUnsupported, "only 64-bit little-endian ELF is supported");
  return Ok();
}

// The bytes [off, off+size) of the file, or an error when out of bounds.
Expected<std::string_view> FileRegion(std::string_view elf, std::uint64_t off, std::uint64_t size,
                                      const char* what) {
  if (off > elf.size() || size > elf.size() - off)
    return MakeError(ErrorCode::kParse, std::string(what) + " lies outside the file");
  return elf.substr(off, size);
}

Expected<std::string> BuildIdFromSections(std::string_view elf, const Elf64_Ehdr& eh) {
  for (std::size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::uint64_t off = eh.e_shoff + i * sizeof sh;
    if (off < eh.e_shoff || !ReadStruct(elf, off, &sh))
      return MakeError(ErrorCode::kParse, "section header table lies outside the file");
    if (sh.sh_type != SHT_NOTE) continue;
    auto region = FileRegion(elf, sh.sh_offset, sh.sh_size, "note section");
    if (!region) return region.error();
    auto id = FindBuildIdNote(*region, sh.sh_addralign == 8 ? 8 : 4);
    if (id || id.error().code != ErrorCode::kNotFound) return id;
  }
  return MakeError(ErrorCode::kNotFound, "no GNU build-id note in the ELF note sections");
}

// Fallback for images without section headers (some stripped vmlinux files).
Expected<std::string> BuildIdFromSegments(std::string_view elf, const Elf64_Ehdr& eh) {
  for (std::size_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::uint64_t off = eh.e_phoff + i * sizeof ph;
    if (off < eh.e_phoff || !ReadStruct(elf, off, &ph))
      return MakeError(ErrorCode::kParse, "program header table lies outside the file");
    if (ph.p_type != PT_NOTE) continue;
    auto region = FileRegion(elf, ph.p_offset, ph.p_filesz, "note segment");
    if (!region) return region.error();
    auto id = FindBuildIdNote(*region, ph.p_align == 8 ? 8 : 4);
    if (id || id.error().code != ErrorCode::kNotFound) return id;
  }
  return MakeError(ErrorCode::kNotFound, "no GNU build-id note in the ELF note segments");
}

}  // namespace

Expected<std::string> BuildIdFromNotes(std::string_view notes) {
  return FindBuildIdNote(notes, 4);
}

Expected<std::string> BuildIdFromElf(std::string_view elf_bytes) {
  Elf64_Ehdr eh;
  LP_TRY(CheckElf64Header(elf_bytes, &eh));
  if (eh.e_shnum > 0) {
    auto id = BuildIdFromSections(elf_bytes, eh);
    if (id || id.error().code != ErrorCode::kNotFound || eh.e_phnum == 0) return id;
  }
  return BuildIdFromSegments(elf_bytes, eh);
}

Expected<std::string> ElfArch(std::string_view elf_bytes) {
  Elf64_Ehdr eh;
  LP_TRY(CheckElf64Header(elf_bytes, &eh));
  switch (eh.e_machine) {
    case EM_X86_64: return std::string("x86_64");
    case EM_AARCH64: return std::string("aarch64");
    default:
      return MakeError(ErrorCode::kUnsupported, "ELF machine " + std::to_string(eh.e_machine) +
                                                    " is not a supported architecture");
  }
}

Expected<std::string> BuildIdFromVmlinuz(const std::filesystem::path& vmlinuz) {
  auto vmlinux = ExtractVmlinux(vmlinuz);
  if (!vmlinux) return vmlinux.error();
  auto id = BuildIdFromElf(*vmlinux);
  if (!id) return id.error().WithContext("vmlinux extracted from " + vmlinuz.string());
  return id;
}

Expected<KernelIdentity> ReadRunningIdentity(const std::filesystem::path& sysfs_root) {
  struct utsname uts {};
  if (::uname(&uts) != 0) return MakeError(ErrorCode::kIo, "uname failed");
  auto notes = ReadFile(sysfs_root / "kernel" / "notes", kMaxNotesBytes);
  if (!notes) return notes.error().WithContext("reading the running kernel's build id");
  auto id = BuildIdFromNotes(*notes);
  if (!id) return id.error().WithContext((sysfs_root / "kernel" / "notes").string());
  return KernelIdentity{uts.release, *id, uts.machine};
}

}  // namespace lp
