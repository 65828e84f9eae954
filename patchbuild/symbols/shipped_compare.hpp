// Proof against the shipped kernel: before a patch is signed, every function
// it replaces is compiled from the tree as it was (the "original") and
// compared, instruction by instruction, with the same function in the
// target's vmlinux. Only bytes a relocation fills in and the ftrace call
// site are excused. A difference means the tree, config or compiler is not
// the one the target was built with, and a patch built from it must not
// reach a fleet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "patchbuild/symbols/function_code.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::symbols {

struct ShippedMismatch {
  std::uint64_t offset = 0;  // into the function
  std::string original;      // "b8 01 00 00 00  mov eax, 1"
  std::string shipped;       // "b8 02 00 00 00  mov eax, 2"
  std::string reason;        // "instructions differ", "shipped function is longer" ...
};

struct ShippedComparison {
  std::size_t instructions = 0;  // original instructions compared
  std::optional<ShippedMismatch> mismatch;

  bool matches() const { return !mismatch.has_value(); }
};

// One line for logs and refusals:
// "cmdline_proc_show+0x18: instructions differ: original `be 0a ... mov esi, 0xa`, shipped `...`".
std::string DescribeMismatch(std::string_view function, const ShippedMismatch& mismatch);

// Compares original with the code at address in image. shipped_extent, when
// known (next kallsyms address - address), also checks that the shipped
// function neither ends early nor continues with more than padding up to
// the next function boundary. With a
// table, relocation targets kallsyms can name must agree too (see
// reloc_targets.hpp). Errors (not mismatches) for an unsupported machine or
// an unmapped address.
Expected<ShippedComparison> CompareWithShipped(const VmlinuxImage& image, std::uint64_t address,
                                               const FunctionCode& original,
                                               std::optional<std::uint64_t> shipped_extent = {},
                                               const SymbolTable* table = nullptr);

}  // namespace lp::patchbuild::symbols
