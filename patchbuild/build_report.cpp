#include "patchbuild/build_report.hpp"

#include <cstdio>
#include <ostream>

#include "common/json_fields.hpp"

namespace lp::patchbuild {
namespace {

using json_fields::OrderedJson;

bool StartsWith(const std::string& s, const std::string& prefix) {
  return !prefix.empty() && s.compare(0, prefix.size(), prefix) == 0;
}

// DWARF names files as the compiler saw them: relative to the tree (kbuild
// runs gcc there) or absolute under it. Report them relative to the tree.
std::optional<SourceLocation> Relative(std::optional<SourceLocation> loc, const std::filesystem::path& tree) {
  if (!loc || tree.empty()) return loc;
  const std::string prefix = tree.string() + "/";
  if (StartsWith(loc->file, prefix)) loc->file.erase(0, prefix.size());
  return loc;
}

// The diff entry of a function by its name in either object.
const FunctionDiff* FindDiff(const DiffResult& diff, const std::string& name) {
  for (const FunctionDiff& f : diff.functions)
    if (f.name == name || f.original_name == name) return &f;
  return nullptr;
}

// Why a changed function has no klp_func and no copy: the planner leaves out
// code that never runs again once the patch could be loaded.
std::string RefusalReason(const FunctionDiff& f) {
  if (StartsWith(f.section, ".init.text"))
    return "__init code (section " + f.section + ") runs only at boot or module load: nothing to patch";
  if (StartsWith(f.section, ".exit.text"))
    return "__exit code (section " + f.section + "): a livepatch cannot replace it";
  return "not included in the patch (section " + f.section + ")";
}

ObjectReport ReportObject(const generate::GeneratedObject& object, const std::filesystem::path& tree) {
  ObjectReport r;
  r.object = object.object_name;
  std::vector<std::string> included;
  for (const auto& f : object.replaced) {
    const FunctionDiff* d = FindDiff(object.diff, f.old_name);
    r.changed.push_back(ReportedFunction{f.old_name, f.sympos, Relative(d ? d->source : std::nullopt, tree)});
    included.push_back(f.old_name);
  }
  for (const auto& name : object.new_functions) {
    const FunctionDiff* d = FindDiff(object.diff, name);
    r.added.push_back(ReportedFunction{name, 0, Relative(d ? d->source : std::nullopt, tree)});
    included.push_back(name);
  }
  for (const FunctionDiff* f : object.diff.ChangedFunctions()) {
    bool in = false;
    for (const auto& name : included) in = in || name == f->name || name == f->original_name;
    if (!in) r.refused.push_back(RefusedFunction{f->name, RefusalReason(*f)});
  }
  return r;
}

OrderedJson FunctionJson(const ReportedFunction& f, bool with_sympos) {
  OrderedJson j;
  j["name"] = f.name;
  if (with_sympos) j["sympos"] = f.sympos;
  if (f.source) {
    j["file"] = f.source->file;
    j["line"] = f.source->line;
  } else {
    j["file"] = nullptr;
    j["line"] = nullptr;
  }
  return j;
}

std::string Where(const std::optional<SourceLocation>& source) {
  return source ? source->file + ":" + std::to_string(source->line) : std::string("file unknown");
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", s);
  return buf;
}

}  // namespace

std::vector<ObjectReport> ReportObjects(const generate::PipelineResult& built) {
  std::vector<ObjectReport> out;
  for (const auto& object : built.patch.objects) out.push_back(ReportObject(object, built.tree_dir));
  return out;
}

std::string BuildReportJson(const BuildReport& report) {
  OrderedJson j;
  j["bundle"] = report.bundle.string();
  j["patch_id"] = report.patch_id;
  j["version"] = report.version;
  j["release"] = report.release;
  j["build_id"] = report.build_id;
  j["stages"] = OrderedJson::array();
  for (const auto& s : report.stages) j["stages"].push_back(OrderedJson{{"name", s.name}, {"seconds", s.seconds}});
  j["total_seconds"] = report.total_seconds;
  j["objects"] = OrderedJson::array();
  for (const auto& o : report.objects) {
    OrderedJson jo;
    jo["object"] = o.object;
    jo["changed"] = OrderedJson::array();
    for (const auto& f : o.changed) jo["changed"].push_back(FunctionJson(f, true));
    jo["new"] = OrderedJson::array();
    for (const auto& f : o.added) jo["new"].push_back(FunctionJson(f, false));
    jo["refused"] = OrderedJson::array();
    for (const auto& f : o.refused) jo["refused"].push_back(OrderedJson{{"name", f.name}, {"reason", f.reason}});
    j["objects"].push_back(std::move(jo));
  }
  j["proof"] = OrderedJson{{"functions", report.proof.functions},
                           {"instructions", report.proof.instructions},
                           {"module_functions", report.proof.module_functions},
                           {"module_bytes", report.proof.module_bytes}};
  return json_fields::DumpCanonical(j);
}

std::string BuildErrorJson(const std::string& message) {
  return json_fields::DumpCanonical(OrderedJson{{"error", message}});
}

void PrintBuildReport(std::ostream& out, const BuildReport& report) {
  out << "wrote " << report.bundle.string() << ": " << report.patch_id << " version " << report.version
      << " for " << report.release << " (build id " << report.build_id << ")\n";
  for (const auto& o : report.objects) {
    for (const auto& f : o.changed)
      out << "  replaced  " << o.object << ":" << f.name << " (sympos " << f.sympos << ")  " << Where(f.source)
          << "\n";
    for (const auto& f : o.added) out << "  new       " << o.object << ":" << f.name << "  " << Where(f.source) << "\n";
    for (const auto& f : o.refused) out << "  refused   " << o.object << ":" << f.name << ": " << f.reason << "\n";
  }
  out << "proof: " << report.proof.functions << " functions, " << report.proof.instructions
      << " instructions match the shipped kernel";
  if (report.proof.module_functions)
    out << "; " << report.proof.module_functions << " module functions, " << report.proof.module_bytes
        << " bytes match the shipped modules";
  out << "\n";
  out << "stages:";
  for (const auto& s : report.stages) out << " " << s.name << " " << Seconds(s.seconds);
  out << "; total " << Seconds(report.total_seconds) << "\n";
}

}  // namespace lp::patchbuild
