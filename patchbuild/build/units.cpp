#include "patchbuild/build/units.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "common/file_util.hpp"

namespace lp::patchbuild::tree {
namespace fs = std::filesystem;
namespace {

std::string TrimBlank(std::string s) {
  std::size_t b = s.find_first_not_of(" \t");
  std::size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "-DKBUILD_MODNAME='\"proc\"'" -> proc
// "$(wildcard include/config/X)" -> "include/config/X"; nothing for other text.
std::optional<std::string> WildcardOperand(const std::string& dep) {
  const std::string open = "$(wildcard ";
  if (dep.rfind(open, 0) != 0 || dep.back() != ')') return std::nullopt;
  std::string operand = TrimBlank(dep.substr(open.size(), dep.size() - open.size() - 1));
  if (operand.empty()) return std::nullopt;
  return operand;
}

std::string Unquote(std::string v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](char c) { return c == '\'' || c == '"'; }), v.end());
  return v;
}

void ReadFlags(ObjectCmd& cmd) {
  std::istringstream tokens(cmd.command);
  const std::string modname_flag = "-DKBUILD_MODNAME=";
  for (std::string t; tokens >> t;) {
    if (t == "-DMODULE") cmd.is_module = true;
    if (t.rfind(modname_flag, 0) == 0) cmd.modname = Unquote(t.substr(modname_flag.size()));
  }
}


// Kinds of files a patch may touch, by what they mean for the kernel image.
enum class FileRole { kCSource, kHeader, kIgnored, kRefused };

FileRole RoleOf(const fs::path& path) {
  std::string first = path.begin() == path.end() ? "" : path.begin()->string();
  std::string name = path.filename().string();
  std::string ext = path.extension().string();
  if (first == "Documentation" || first == "tools" || first == "samples" || first == "LICENSES" ||
      ext == ".rst" || ext == ".txt" || name == "MAINTAINERS" || name == "CREDITS")
    return FileRole::kIgnored;
  if (ext == ".c") return FileRole::kCSource;
  if (ext == ".h") return FileRole::kHeader;
  return FileRole::kRefused;  // .S, .lds, Makefile, Kconfig, .rs, scripts/...
}

Status AddUnitsFor(const fs::path& tree, const FilePatch& file, std::set<fs::path>& objects,
                   std::vector<TranslationUnit>& units) {
  const fs::path& path = file.Path();
  auto add = [&](const TranslationUnit& u) {
    if (objects.insert(u.object).second) units.push_back(u);
  };
  switch (RoleOf(path)) {
    case FileRole::kIgnored:
      return Ok();
    case FileRole::kRefused:
      return MakeError(ErrorCode::kUnsupported,
                       path.string() + ": only C sources and headers can be livepatched");
    case FileRole::kCSource:
      if (file.change != FileChange::kModify)
        return MakeError(ErrorCode::kUnsupported,
                         path.string() + ": a " + FileChangeName(file.change) +
                             "d C file needs a Makefile change, which cannot be livepatched");
      add(TranslationUnit{path, fs::path(path).replace_extension(".o")});
      return Ok();
    case FileRole::kHeader: {
      if (file.change != FileChange::kModify) return Ok();  // new headers matter only via changed .c files
      auto users = UnitsIncludingHeader(tree, path);
      if (!users) return users.error();
      if (users->empty())
        return MakeError(ErrorCode::kNotFound,
                         path.string() + ": no unit built in this tree includes it yet; name the units "
                                         "that do explicitly");
      for (const auto& u : *users) add(u);
      return Ok();
    }
  }
  return Ok();
}

}  // namespace

fs::path CmdFilePath(const fs::path& object) {
  return object.parent_path() / ("." + object.filename().string() + ".cmd");
}

Expected<ObjectCmd> ParseObjectCmd(const std::string& text, const fs::path& object) {
  ObjectCmd cmd;
  const std::string obj = object.string();
  const std::string cmd_key = "cmd_" + obj + " := ";
  const std::string source_key = "source_" + obj + " := ";
  const std::string deps_key = "deps_" + obj + " := ";
  std::istringstream in(text);
  bool in_deps = false;
  for (std::string line; std::getline(in, line);) {
    if (in_deps) {
      bool more = !line.empty() && line.back() == '\\';
      std::string dep = TrimBlank(more ? line.substr(0, line.size() - 1) : line);
      if (auto optional = WildcardOperand(dep)) cmd.optional_deps.emplace_back(*optional);
      else if (!dep.empty()) cmd.deps.emplace_back(dep);
      in_deps = more;
    } else if (line.rfind(cmd_key, 0) == 0) {
      cmd.command = line.substr(cmd_key.size());
    } else if (line.rfind(source_key, 0) == 0) {
      cmd.deps.emplace_back(TrimBlank(line.substr(source_key.size())));
    } else if (line.rfind(deps_key, 0) == 0) {
      in_deps = !line.empty() && line.back() == '\\';
    } else if (line.rfind(obj + ": ", 0) == 0) {
      // "fs/proc/cmdline.o: $(wildcard ./tools/objtool/objtool)"
      if (auto optional = WildcardOperand(TrimBlank(line.substr(obj.size() + 2))))
        cmd.optional_deps.emplace_back(*optional);
    }
  }
  if (cmd.command.empty())
    return MakeError(ErrorCode::kParse, "no cmd_" + obj + " line in its kbuild .cmd file");
  ReadFlags(cmd);
  return cmd;
}

Expected<ObjectCmd> ReadObjectCmd(const fs::path& tree, const fs::path& object) {
  fs::path file = tree / CmdFilePath(object);
  auto text = ReadFile(file, 16u << 20);
  if (!text) return text.error().WithContext("reading kbuild record of " + object.string());
  auto parsed = ParseObjectCmd(*text, object);
  if (!parsed) return parsed.error().WithContext(file.string());
  return parsed;
}

Expected<std::vector<TranslationUnit>> UnitsIncludingHeader(const fs::path& tree, const fs::path& header) {
  std::vector<TranslationUnit> units;
  const std::string needle = header.string();
  std::error_code ec;
  fs::recursive_directory_iterator it(tree, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return MakeError(ErrorCode::kIo, "listing " + tree.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return MakeError(ErrorCode::kIo, "listing " + tree.string() + ": " + ec.message());
    std::string name = it->path().filename().string();
    if (it->is_directory()) {
      // Host tools and docs have their own .cmd files; none is a kernel unit.
      if (it.depth() == 0 && (name == "tools" || name == "scripts" || name == "Documentation" || name == ".git"))
        it.disable_recursion_pending();
      continue;
    }
    const std::string suffix = ".o.cmd";
    if (name.size() <= suffix.size() + 1 || name[0] != '.' ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    auto text = ReadFile(it->path(), 16u << 20);
    if (!text || text->find(needle) == std::string::npos) continue;  // cheap filter first
    fs::path dir = it->path().parent_path().lexically_relative(tree);
    fs::path object = dir / name.substr(1, name.size() - 1 - 4);  // ".x.o.cmd" -> x.o
    auto cmd = ParseObjectCmd(*text, object);
    if (!cmd || cmd->deps.empty() || cmd->deps.front().extension() != ".c") continue;
    if (std::find(cmd->deps.begin(), cmd->deps.end(), header) == cmd->deps.end()) continue;
    units.push_back(TranslationUnit{cmd->deps.front(), object});
  }
  std::sort(units.begin(), units.end(), [](const auto& a, const auto& b) { return a.object < b.object; });
  return units;
}

std::vector<TranslationUnit> UnbuiltNeighboursOfLocalHeaders(const fs::path& tree, const PatchSeries& patches) {
  std::vector<TranslationUnit> units;
  std::set<fs::path> dirs;
  for (const auto& patch : patches) {
    for (const auto& file : patch.files) {
      const fs::path& path = file.Path();
      bool global = std::find(path.begin(), path.end(), fs::path("include")) != path.end();
      if (RoleOf(path) == FileRole::kHeader && file.change == FileChange::kModify && !global)
        dirs.insert(path.parent_path());
    }
  }
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tree / dir, ec)) {
      if (entry.path().extension() != ".c") continue;
      fs::path source = dir / entry.path().filename();
      fs::path object = fs::path(source).replace_extension(".o");
      if (!fs::exists(tree / object, ec)) units.push_back(TranslationUnit{source, object});
    }
  }
  std::sort(units.begin(), units.end(), [](const auto& a, const auto& b) { return a.object < b.object; });
  return units;
}

Expected<std::vector<TranslationUnit>> FindTouchedUnits(const fs::path& tree, const PatchSeries& patches) {
  std::set<fs::path> objects;
  std::vector<TranslationUnit> units;
  std::string sources;
  for (const auto& patch : patches) {
    for (const auto& file : patch.files) LP_TRY(AddUnitsFor(tree, file, objects, units));
    sources += (sources.empty() ? "" : ", ") + patch.source.string();
  }
  if (units.empty())
    return MakeError(ErrorCode::kInvalidArgument, sources + ": no change to a C source or header of the kernel");
  std::sort(units.begin(), units.end(), [](const auto& a, const auto& b) { return a.object < b.object; });
  return units;
}

}  // namespace lp::patchbuild::tree
