// The diff stage of patchbuild: which functions and data of a kernel object
// a source fix changed. Library API used by `patchbuild diff` and by the
// generate stage of `patchbuild build`.
#pragma once

#include <filesystem>

#include "common/error.hpp"
#include "patchbuild/diff/diff_result.hpp"
#include "patchbuild/elf/object_file.hpp"

namespace lp::patchbuild {

// Correlates and compares two already-open objects. Annotates both graphs
// (twin pointers, Status) as a side effect, which the generate stage reuses;
// the objects must therefore stay alive together while those annotations are
// used. Both must be of the same architecture.
Expected<DiffResult> DiffObjects(elf::ObjectFile& original, elf::ObjectFile& patched);

// Opens both files, diffs them and closes them again. The result holds no
// reference to the files.
Expected<DiffResult> DiffFiles(const std::filesystem::path& original, const std::filesystem::path& patched);

}  // namespace lp::patchbuild
