#include "patchbuild/build/original_stamp.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "common/crypto.hpp"
#include "common/file_util.hpp"

namespace lp::patchbuild::tree {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStampHeader = "fleetpatch-original-stamp 1";

std::optional<timespec> Mtime(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim;
}

bool Newer(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

// "gcc-12" -> "/usr/bin/gcc-12 <size> <mtime>": a compiler upgraded in place
// changes the stamp's key (kbuild would notice only after its config step).
std::string CompilerIdentity(const std::string& command) {
  std::istringstream in(command);
  std::string compiler;
  in >> compiler;
  const char* path = std::getenv("PATH");
  std::string candidates = compiler.find('/') == std::string::npos && path ? path : "";
  std::vector<fs::path> paths;
  if (candidates.empty()) paths.emplace_back(compiler);
  std::istringstream dirs(candidates);
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty()) paths.push_back(fs::path(dir) / compiler);
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      return p.string() + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec);
  }
  return compiler + " (not in PATH)";
}

struct Stamp {
  std::string key, compiler, object, cmd;  // sha256 hex, except compiler
};

std::string Text(const Stamp& s) {
  return std::string(kStampHeader) + "\nkey " + s.key + "\ncompiler " + s.compiler + "\nobject " + s.object +
         "\ncmd " + s.cmd + "\n";
}

std::optional<Stamp> ParseStamp(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kStampHeader) return std::nullopt;
  std::map<std::string, std::string> fields;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) fields[line.substr(0, space)] = line.substr(space + 1);
  }
  Stamp s{fields["key"], fields["compiler"], fields["object"], fields["cmd"]};
  if (s.key.empty() || s.object.empty() || s.cmd.empty()) return std::nullopt;
  return s;
}

// The unit as it is in the tree now, described like a stamp; nothing when
// its object or .cmd record is missing.
std::optional<Stamp> Observe(const fs::path& source_dir, const TranslationUnit& u, const std::string& key,
                             std::optional<ObjectCmd>* parsed) {
  auto object = ReadFile(source_dir / u.object);
  auto cmd_text = ReadFile(source_dir / CmdFilePath(u.object), 16u << 20);
  if (!object || !cmd_text) return std::nullopt;
  auto cmd = ParseObjectCmd(*cmd_text, u.object);
  if (!cmd) return std::nullopt;
  Stamp s{key, CompilerIdentity(cmd->command), Sha256Hex(*object), Sha256Hex(*cmd_text)};
  if (parsed) *parsed = std::move(*cmd);
  return s;
}

fs::path InTree(const fs::path& source_dir, const fs::path& p) { return p.is_absolute() ? p : source_dir / p; }

// make's rule: rebuild when a prerequisite is newer than the target (or
// missing: then make fails or rebuilds it).
bool PrerequisitesOlder(const fs::path& source_dir, const TranslationUnit& u, const ObjectCmd& cmd) {
  auto object_time = Mtime(source_dir / u.object);
  if (!object_time) return false;
  for (const auto& dep : cmd.deps) {
    auto t = Mtime(InTree(source_dir, dep));
    if (!t || Newer(*t, *object_time)) return false;
  }
  for (const auto& dep : cmd.optional_deps) {
    auto t = Mtime(InTree(source_dir, dep));
    if (t && Newer(*t, *object_time)) return false;
  }
  return true;
}

}  // namespace

std::string OriginalStampStore::BuildKey(const std::vector<std::string>& argv_without_goals,
                                         const std::string& path_env) {
  std::string text;
  for (const auto& arg : argv_without_goals)
    if (arg.rfind("-j", 0) != 0) text += arg + '\n';
  return Sha256Hex(text + "PATH=" + path_env + '\n');
}

Expected<std::vector<TranslationUnit>> OriginalStampStore::Stale(const std::vector<TranslationUnit>& units,
                                                                 const std::string& key) const {
  std::vector<TranslationUnit> stale;
  for (const auto& u : units) {
    auto stamp_text = ReadFile(stamp_dir / (u.object.string() + ".stamp"));
    std::optional<Stamp> recorded = stamp_text ? ParseStamp(*stamp_text) : std::nullopt;
    std::optional<ObjectCmd> cmd;
    std::optional<Stamp> now = Observe(source_dir, u, key, &cmd);
    const bool current = recorded && now && recorded->key == now->key && recorded->compiler == now->compiler &&
                         recorded->object == now->object && recorded->cmd == now->cmd &&
                         PrerequisitesOlder(source_dir, u, *cmd);
    if (current) continue;
    stale.push_back(u);
    if (recorded && now && recorded->object != now->object) {
      std::error_code ec;
      fs::remove(source_dir / u.object, ec);
      if (ec) return MakeError(ErrorCode::kIo, "removing " + u.object.string() + ": " + ec.message());
    }
  }
  return stale;
}

Status OriginalStampStore::Record(const std::vector<TranslationUnit>& units, const std::string& key) const {
  for (const auto& u : units) {
    auto now = Observe(source_dir, u, key, nullptr);
    if (!now)
      return MakeError(ErrorCode::kInternal, u.object.string() + ": no object or kbuild record after make");
    LP_TRY(MakeDirs((stamp_dir / u.object).parent_path()));
    LP_TRY(WriteFileAtomic(stamp_dir / (u.object.string() + ".stamp"), Text(*now)));
  }
  return Ok();
}

}  // namespace lp::patchbuild::tree
