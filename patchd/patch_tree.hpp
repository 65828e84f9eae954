// Reads and writes the livepatch sysfs layout
//   <dir>/<patch>/{enabled,transition[,replace,stack_order]}
//   <dir>/<patch>/<object>/[patched], <dir>/<patch>/<object>/<function>,<sympos>/
// Shared by the real kernel and the fake so both parse the same tree.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchd/livepatch_kernel.hpp"

namespace lp::patchd {

Expected<std::vector<std::string>> ListPatchDirs(const std::filesystem::path& livepatch_dir);
Expected<PatchState> ReadPatchDir(const std::filesystem::path& livepatch_dir, const std::string& name);

// Reads a small sysfs attribute holding an integer ("1\n").
Expected<int> ReadIntAttribute(const std::filesystem::path& file);
// Writes "<value>\n" with a plain write(2): sysfs attributes are not files
// that can be replaced by rename, so no atomic-write here.
Status WriteIntAttribute(const std::filesystem::path& file, int value);

}  // namespace lp::patchd
