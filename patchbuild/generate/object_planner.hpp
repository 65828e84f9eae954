// Decides the content of the generated livepatch object (see object_plan.hpp
// for the rules) from a patched object that DiffObjects has annotated.
#pragma once

#include "common/error.hpp"
#include "patchbuild/elf/object_file.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/generate/object_plan.hpp"

namespace lp::patchbuild::generate {

// patched must carry the diff's annotations (Status, twin pointers into the
// original, which must still be alive). Errors name the symbol and why:
// an unknown special section pointing into changed code, an ambiguous
// symbol of the running kernel, a function section holding several
// functions (object not built with -ffunction-sections).
Expected<ObjectPlan> PlanObject(const elf::ObjectFile& patched, const KernelSymbols& kernel);

}  // namespace lp::patchbuild::generate
