// Reads key=value strings from a kernel module's .modinfo section
// (e.g. "name=lp_cmdline", "livepatch=Y"). Only what patchd needs: no
// relocation or symbol handling, ELF64 little-endian only.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lp::patchd {

// The value of key in .modinfo, kNotFound if absent, kParse if not a module.
Expected<std::string> ModinfoValue(std::string_view elf_bytes, std::string_view key);

}  // namespace lp::patchd
