#include "patchbuild/diff/report.hpp"

#include <iomanip>

namespace lp::patchbuild {
namespace {

std::string Sizes(uint64_t before, uint64_t after, ChangeStatus status) {
  if (status == ChangeStatus::New || before == after) return std::to_string(after) + " bytes";
  return std::to_string(before) + " -> " + std::to_string(after) + " bytes";
}

std::string Location(const FunctionDiff& f) {
  if (!f.source) return "";
  return "  " + f.source->file + ":" + std::to_string(f.source->line);
}

nlohmann::json RefToJson(const SymbolRef& r) {
  nlohmann::json j = {{"name", r.name},
                      {"kind", SymbolKindName(r.kind)},
                      {"binding", BindingName(r.binding)},
                      {"status", elf::StatusName(r.status)}};
  if (r.literal) j["literal"] = *r.literal;
  return j;
}

nlohmann::json FunctionToJson(const FunctionDiff& f) {
  nlohmann::json j = {{"name", f.name},       {"status", elf::StatusName(f.status)},
                      {"section", f.section}, {"size", f.size},
                      {"original_size", f.original_size}, {"global", f.global},
                      {"reason", f.reason}};
  if (!f.original_name.empty()) j["original_name"] = f.original_name;
  if (f.source) j["source"] = {{"file", f.source->file}, {"line", f.source->line}};
  j["references"] = nlohmann::json::array();
  for (const auto& r : f.references) j["references"].push_back(RefToJson(r));
  return j;
}

nlohmann::json DataToJson(const DataDiff& d) {
  return {{"name", d.name},         {"status", elf::StatusName(d.status)},
          {"section", d.section},   {"size", d.size},
          {"original_size", d.original_size}, {"global", d.global},
          {"writable", d.writable}, {"reason", d.reason}};
}

}  // namespace

void PrintDiffReport(const DiffResult& result, std::ostream& out) {
  const auto changed = result.ChangedFunctions();
  out << "patchbuild diff " << result.original_path << " -> " << result.patched_path << " (" << result.arch
      << ")\n";
  if (!result.HasChanges()) {
    out << "no changes\n";
  }
  if (!changed.empty()) out << "functions:\n";
  for (const FunctionDiff* f : changed) {
    out << "  " << std::left << std::setw(8) << elf::StatusName(f->status) << ' ' << f->name;
    if (!f->original_name.empty()) out << " (was " << f->original_name << ")";
    out << "  " << f->section << "  " << Sizes(f->original_size, f->size, f->status) << Location(*f);
    if (!f->reason.empty()) out << "  [" << f->reason << "]";
    out << '\n';
  }
  if (!result.data.empty()) out << "data:\n";
  for (const auto& d : result.data) {
    out << "  " << std::left << std::setw(8) << elf::StatusName(d.status) << ' ' << d.name << "  " << d.section
        << "  " << Sizes(d.original_size, d.size, d.status);
    if (!d.reason.empty()) out << "  [" << d.reason << "]";
    out << '\n';
  }
  for (const auto& name : result.removed_functions) out << "  removed  " << name << " (stays in the kernel)\n";
  for (const auto& p : result.problems) out << "cannot patch: " << p.symbol << ": " << p.reason << '\n';
  for (const auto& w : result.warnings) out << "warning: " << w << '\n';
}

nlohmann::json DiffResultToJson(const DiffResult& result) {
  nlohmann::json j = {{"original", result.original_path},
                      {"patched", result.patched_path},
                      {"arch", result.arch},
                      {"changed", result.HasChanges()},
                      {"reconcilable", result.IsReconcilable()}};
  j["functions"] = nlohmann::json::array();
  for (const FunctionDiff* f : result.ChangedFunctions()) j["functions"].push_back(FunctionToJson(*f));
  j["data"] = nlohmann::json::array();
  for (const auto& d : result.data) j["data"].push_back(DataToJson(d));
  j["removed_functions"] = result.removed_functions;
  j["problems"] = nlohmann::json::array();
  for (const auto& p : result.problems) j["problems"].push_back({{"symbol", p.symbol}, {"reason", p.reason}});
  j["warnings"] = result.warnings;
  return j;
}

}  // namespace lp::patchbuild
