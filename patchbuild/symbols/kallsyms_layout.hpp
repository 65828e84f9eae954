// Where the kernel's own kallsyms tables sit inside a vmlinux that has no
// symbol table (Debian's vmlinuz). Internal to the kallsyms decoder; exposed
// for tests and for the bench.
//
// scripts/kallsyms.c (6.1) emits, into .rodata, each label 8-byte aligned:
//   kallsyms_offsets        s32[N]   (CONFIG_KALLSYMS_BASE_RELATIVE)
//   kallsyms_relative_base  u64
//   kallsyms_num_syms       u32      = N
//   kallsyms_names          N x { len (1 or 2 bytes, ULEB128), len token ids }
//   kallsyms_markers        u32[ceil(N/256)]  offset in names of every 256th symbol
//   kallsyms_seqs_of_names  N x 3 bytes       (6.1 stable backport; older 6.1 lacks it)
//   kallsyms_token_table    256 NUL-terminated strings
//   kallsyms_token_index    u16[256]  offset of each token in the table
#pragma once

#include <cstdint>
#include <optional>

#include "common/error.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::symbols {

// File offsets into the vmlinux bytes.
struct KallsymsLayout {
  std::uint64_t offsets = 0;
  std::uint64_t relative_base = 0;
  std::uint64_t num_syms = 0;
  std::uint64_t names = 0;
  std::uint64_t markers = 0;
  std::optional<std::uint64_t> seqs_of_names;
  std::uint64_t token_table = 0;
  std::uint64_t token_index = 0;
  std::uint32_t count = 0;  // N, kallsyms_num_syms
};

// Finds the tables by their structure alone: see kallsyms_layout.cpp.
// Errors when no consistent set, or more than one, is found.
Expected<KallsymsLayout> LocateKallsyms(const VmlinuxImage& image);

}  // namespace lp::patchbuild::symbols
