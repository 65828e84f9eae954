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
// lp_gen_table.h: one klp_func array per target object, then lp_objects.
std::string GenTable(const GeneratedPatch& patch);
// Kbuild: obj-m += <name>.o with the main object and the generated ones.
std::string GenKbuild(const GeneratedPatch& patch);

// Writes the four files and copies the skeleton into the build dir.
Status WriteModuleSources(const GeneratedPatch& patch, const GenerateOptions& options);

}  // namespace lp::patchbuild::generate
