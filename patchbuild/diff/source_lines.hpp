// Source file:line of changed functions, from the patched object's DWARF
// (present when the kernel is built with CONFIG_DEBUG_INFO, as Debian's is).
#pragma once

#include <filesystem>

#include "patchbuild/diff/diff_result.hpp"

namespace lp::patchbuild {

// Sets FunctionDiff::source for every New or Changed function whose
// DW_TAG_subprogram is found by name. Best effort: an object without DWARF, or
// DWARF libdwarf cannot read, leaves the result as it is.
void AddSourceLocations(const std::filesystem::path& object, DiffResult& result);

}  // namespace lp::patchbuild
