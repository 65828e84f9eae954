// The module name `patchbuild build` gives a livepatch: /sys/kernel/livepatch/NAME,
// the kernel's module name and the prefix of C identifiers in the generated
// sources. Every version of a cumulative patch stream needs its own: during
// the atomic replace both modules are loaded, the kernel refuses a second
// module of one name, and patchd takes a live module of that name as applied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lp::patchbuild {

// The kernel's limit: MODULE_NAME_LEN (56) with the NUL.
inline constexpr std::size_t kKernelModuleNameMax = 55;
// The generate stage's (patchbuild/generate/generate.cpp, CheckOptions): the
// name also prefixes C identifiers there, so `build` is held to it.
inline constexpr std::size_t kBuildModuleNameMax = 41;
// With neither --name nor --patch-id.
inline constexpr std::string_view kDefaultModuleName = "lp_fix";

// Ok if `name` is 1..max_len of [a-z0-9_] not starting with a digit; else
// kInvalidArgument saying why.
Status CheckModuleName(std::string_view name, std::size_t max_len = kBuildModuleNameMax);

// "lp_<id>_v<version>" from a patch id: upper case folded, '-' and '.' made
// '_', anything else outside [a-z0-9_] dropped; no second "lp_" when the id
// starts with one; the id part cut so that the whole fits max_len (the
// version suffix always stays). kInvalidArgument if no letter or digit of the
// id remains.
Expected<std::string> ModuleNameForVersion(std::string_view patch_id, std::uint64_t version,
                                           std::size_t max_len = kBuildModuleNameMax);

// What `build` uses: --name if given (checked), else derived from --patch-id
// and --version, else kDefaultModuleName. Errors name the flag.
Expected<std::string> ResolveModuleName(const std::optional<std::string>& name,
                                        const std::optional<std::string>& patch_id, std::uint64_t version);

}  // namespace lp::patchbuild
