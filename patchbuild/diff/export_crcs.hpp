// Modversions CRCs of exported symbols, to refuse a patch that changes the
// interface of an EXPORT_SYMBOL.
//
// Why: with CONFIG_MODVERSIONS every module records, for each exported
// symbol it uses, the CRC genksyms computed over the symbol's prototype and
// the types it uses. The running kernel keeps its old CRCs (__kcrctab) and
// its loaded modules keep calling the function the old way; a livepatch
// that replaces it with a new prototype breaks every such caller.
//
// Where 6.1 keeps them: not in the object. For an object that exports
// symbols (nm shows __ksymtab_*), kbuild's gen_symversions runs genksyms on
// the preprocessed source and appends "#SYMVER <name> 0x<crc>" lines to the
// object's record, DIR/.NAME.o.cmd (scripts/Makefile.build); modpost reads
// them from there. The target's CRCs are in its Module.symvers
// ("0x<crc>\t<name>\t<object>\t<export type>[\t<namespace>]").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/diff/diff_result.hpp"

namespace lp::patchbuild {

using ExportCrcs = std::map<std::string, uint32_t>;  // symbol -> CRC

// kbuild's record of how `object` was built: DIR/.NAME.cmd. patchbuild's
// twin compile copies it next to each object it keeps, under the same rule.
std::filesystem::path KbuildRecordOf(const std::filesystem::path& object);

// The "#SYMVER name crc" lines of a record's text.
ExportCrcs ParseSymverLines(std::string_view record);

// The CRCs recorded for `object`; nullopt when it has no record (not built
// by kbuild, e.g. a test object) or the record cannot be read.
std::optional<ExportCrcs> ReadObjectExportCrcs(const std::filesystem::path& object);

// All CRCs of a Module.symvers file.
Expected<ExportCrcs> ReadModuleSymversCrcs(const std::filesystem::path& module_symvers);

// One problem per symbol exported by both builds with different CRCs.
std::vector<Problem> CompareExportCrcs(const ExportCrcs& original, const ExportCrcs& patched);

// One problem per symbol of `object_crcs` (one side's build, named by
// `which`: "original" or "patched") whose CRC differs from the target's
// Module.symvers. For the original that means the tree is not the target's
// source or config; for the patched one, the patch changes the interface.
std::vector<Problem> CompareWithTargetCrcs(const ExportCrcs& object_crcs, const ExportCrcs& target,
                                           std::string_view which);

// The check patchbuild build runs before generating: every original object's
// recorded CRCs must equal the target's Module.symvers. A difference means
// the tree is not the target's source or configuration: a kVerification
// error naming the object and the symbol. Objects without a record pass.
Status CheckOriginalCrcsAgainstTarget(const std::vector<std::filesystem::path>& originals,
                                      const std::filesystem::path& module_symvers);

}  // namespace lp::patchbuild
