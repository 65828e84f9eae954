// Human and JSON forms of a DiffResult (`patchbuild diff`, and the diff part
// of `patchbuild build`'s summary).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "patchbuild/diff/diff_result.hpp"

namespace lp::patchbuild {

// "changed  cmdline_proc_show  .text.cmdline_proc_show  54 -> 61 bytes  (reason)"
// lines for new/changed functions and data, then problems and warnings.
void PrintDiffReport(const DiffResult& result, std::ostream& out);

// The same content as JSON. Stable field names; see docs of `patchbuild diff`.
nlohmann::json DiffResultToJson(const DiffResult& result);

}  // namespace lp::patchbuild
