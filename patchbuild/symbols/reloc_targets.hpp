// Relocation targets of a rebuilt function, checked in the shipped code.
// Masking relocated bytes makes two functions that differ only in what they
// call look the same: `c_stop` of fs/proc/consoles.c (jmp console_unlock)
// and of arch/x86/kernel/cpu/proc.c (jmp __x86_return_thunk) are byte-equal
// once masked. Resolving each relocation in the shipped bytes and looking up
// the symbol it names in kallsyms tells them apart.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "patchbuild/symbols/function_code.hpp"
#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/text_arch.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::symbols {

// The first relocation whose resolved value in shipped (the function's
// bytes at address) is not the address of any vmlinux symbol of that name.
// Relocations of unknown kind, or against names kallsyms does not have
// (section symbols, string literals), are skipped, as is an ftrace site
// that the image holds as a NOP.
std::optional<ShippedMismatch> CheckRelocationTargets(const TextArch& arch, const SymbolTable& table,
                                                      std::span<const std::uint8_t> shipped,
                                                      std::uint64_t address,
                                                      const FunctionCode& original);

// The address the shipped code of a function uses for `symbol`: which of
// several same-named variables a patched function really means. A static
// `state` defined in five files is told apart by the function that uses
// it: original has relocations against `symbol`; resolved from the bytes
// at function_address they must agree and land on one of the kallsyms
// instances of that name (then ComputeSympos gives its sympos). Errors when
// original does not reference symbol by name, when the relocations are of
// unknown kind, or when the resolved address is not such an instance.
Expected<std::uint64_t> ResolveReferencedSymbol(const SymbolTable& table, const VmlinuxImage& image,
                                                std::uint64_t function_address,
                                                const FunctionCode& original, std::string_view symbol);

}  // namespace lp::patchbuild::symbols
