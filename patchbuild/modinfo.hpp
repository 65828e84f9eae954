// Reads what patchbuild needs from a kernel module file (.ko).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lp::patchbuild {

// The value of `key=` in the module's .modinfo section ("name", "vermagic",
// "livepatch" ...), or kNotFound. kParse if the bytes are not an ELF file.
Expected<std::string> ReadModinfo(std::string_view ko_bytes, std::string_view key);

// The name the kernel will know the module by: .modinfo "name=" (modpost
// writes it), else the file stem with '-' turned into '_' as kbuild does.
Expected<std::string> ModuleName(const std::filesystem::path& ko_path, std::string_view ko_bytes);

}  // namespace lp::patchbuild
