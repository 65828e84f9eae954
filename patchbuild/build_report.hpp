// What `patchbuild build` tells its user: per object, the changed, new and
// refused functions with their source file:line, the proof against the
// shipped kernel and the stage times. One value, printed two ways: a human
// summary and (--json) one JSON object; README.md documents both.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "patchbuild/diff/diff_result.hpp"
#include "patchbuild/generate/pipeline.hpp"

namespace lp::patchbuild {

struct ReportedFunction {
  std::string name;                      // kallsyms name ("cmdline_proc_show")
  uint32_t sympos = 0;                   // changed functions only
  std::optional<SourceLocation> source;  // from the patched object's DWARF; absent: "file unknown"
};

struct RefusedFunction {
  std::string name;
  std::string reason;
};

struct ObjectReport {
  std::string object;  // "vmlinux" or a module name
  std::vector<ReportedFunction> changed;
  std::vector<ReportedFunction> added;  // "new" in JSON
  std::vector<RefusedFunction> refused;
};

struct BuildReport {
  std::filesystem::path bundle;
  std::string patch_id;
  uint64_t version = 0;
  std::string release;
  std::string build_id;
  std::vector<generate::StageTime> stages;
  double total_seconds = 0;
  std::vector<ObjectReport> objects;
  generate::ShippedProof proof;
};

// The per-object part of the report from the pipeline's result: replaced and
// new functions with the file:line their diff found (paths relative to the
// tree), and changed functions nothing was made of (__init/__exit code) as
// refused with the reason.
std::vector<ObjectReport> ReportObjects(const generate::PipelineResult& built);

// One JSON object and a newline.
std::string BuildReportJson(const BuildReport& report);
// {"error": message} and a newline: what --json prints when the build fails.
std::string BuildErrorJson(const std::string& message);

void PrintBuildReport(std::ostream& out, const BuildReport& report);

}  // namespace lp::patchbuild
