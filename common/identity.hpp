// Kernel identity (DESIGN.md): release + GNU build-id + arch. A patch fits
// exactly one identity; the release string alone is never enough.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lp {

struct KernelIdentity {
  std::string release;   // uname -r, e.g. "6.1.0-56-amd64"
  std::string build_id;  // lowercase hex of the NT_GNU_BUILD_ID note
  std::string arch;      // "x86_64", "aarch64" (uname -m spelling)

  bool operator==(const KernelIdentity&) const = default;
};

// Build id from a raw ELF notes blob, as /sys/kernel/notes exposes it.
Expected<std::string> BuildIdFromNotes(std::string_view notes);

// Build id from an ELF file in memory (vmlinux, .ko): the NT_GNU_BUILD_ID note
// of its note sections/segments.
Expected<std::string> BuildIdFromElf(std::string_view elf_bytes);

// The uname -m spelling of an ELF file's e_machine ("x86_64", "aarch64"),
// kUnsupported for machines fleetpatch does not target.
Expected<std::string> ElfArch(std::string_view elf_bytes);

// Build id of the kernel packed in a bzImage (/boot/vmlinuz-R): finds the
// compressed payload, decompresses it and reads the vmlinux's note.
Expected<std::string> BuildIdFromVmlinuz(const std::filesystem::path& vmlinuz);

// Decompresses the vmlinux packed in a bzImage (what scripts/extract-vmlinux
// does). Used by patchbuild to compare against the shipped code.
Expected<std::string> ExtractVmlinux(const std::filesystem::path& vmlinuz);

// The running kernel: uname(2) + <sysfs_root>/kernel/notes.
Expected<KernelIdentity> ReadRunningIdentity(const std::filesystem::path& sysfs_root);

}  // namespace lp
