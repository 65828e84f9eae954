// Test-side reader of the functions of a relocatable object (a rebuilt
// fs/proc/consoles.o, or a tiny file the test compiles): bytes and
// relocation ranges per STT_FUNC symbol, as the ELF stage of patchbuild
// hands them to the symbols library. Deliberately minimal; the product's
// ELF model lives in patchbuild/elf.
#pragma once

#include <filesystem>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/symbols/function_code.hpp"

namespace lp::patchbuild::symbols::testing {

struct ObjectFunction {
  FunctionCode code;
  bool global = false;
};

// Every defined function of an x86_64 ET_REL object, in symbol table order.
Expected<std::vector<ObjectFunction>> ReadObjectFunctions(const std::filesystem::path& object);

}  // namespace lp::patchbuild::symbols::testing
