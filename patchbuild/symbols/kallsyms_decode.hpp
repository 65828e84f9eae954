// Decodes the symbol table the kernel carries for /proc/kallsyms straight
// from an uncompressed vmlinux (x86_64, 6.1, CONFIG_KALLSYMS_BASE_RELATIVE).
// Debian's vmlinuz has no other symbol table: its System.map is a stub and
// its vmlinux has no .symtab. The result equals /proc/kallsyms of a nokaslr
// boot of that kernel (vmlinux part), in the same order.
#pragma once

#include <string_view>

#include "common/error.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::symbols {

Expected<SymbolTable> DecodeKallsyms(const VmlinuxImage& image);

// Convenience: opens the ELF view first. vmlinux_bytes need only live for
// the call; the table owns copies of the names.
Expected<SymbolTable> DecodeKallsyms(std::string_view vmlinux_bytes);

}  // namespace lp::patchbuild::symbols
