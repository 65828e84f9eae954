// The kmod/ skeleton around the generated objects (kmod/README.md): the
// one-line <name>_main.c, lp_gen.h, lp_gen_table.h and the Kbuild file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/generate/generate.hpp"

namespace lp::patchbuild::generate {

// lp_gen.h: options and a declaration of every replacement function.
std::string GenHeader(const GeneratedPatch& patch, const GenerateOptions& options);
// lp_gen_table.h: one klp_func array per target object, then lp_objects
// (LP_OBJECT_CB for an object with callbacks).
std::string GenTable(const GeneratedPatch& patch);
// A klp_object has at most one callback of each kind: two units of the same
// object that both define, say, a pre_patch callback are refused.
Status CheckCallbacks(const GeneratedPatch& patch);
// Kbuild: obj-m += <name>.o with the main object and the generated ones.
std::string GenKbuild(const GeneratedPatch& patch);

// CheckCallbacks, then writes the four files and copies the skeleton into
// the build dir.
Status WriteModuleSources(const GeneratedPatch& patch, const GenerateOptions& options);

}  // namespace lp::patchbuild::generate
