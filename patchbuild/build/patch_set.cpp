#include "patchbuild/build/patch_set.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/file_util.hpp"

namespace lp::patchbuild::tree {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// "@@ -12,7 +12,8 @@ optional function name" -> old and new line counts.
struct HunkCounts {
  long old_lines = 1;
  long new_lines = 1;
};

bool ParseRange(std::string_view& s, long& count) {
  long start = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), start);
  if (ec != std::errc()) return false;
  s.remove_prefix(static_cast<std::size_t>(p - s.data()));
  count = 1;  // "-12" alone means one line
  if (!s.empty() && s.front() == ',') {
    s.remove_prefix(1);
    auto [q, ec2] = std::from_chars(s.data(), s.data() + s.size(), count);
    if (ec2 != std::errc()) return false;
    s.remove_prefix(static_cast<std::size_t>(q - s.data()));
  }
  return true;
}

std::optional<HunkCounts> ParseHunkHeader(std::string_view line) {
  HunkCounts counts;
  if (!StartsWith(line, "@@ -")) return std::nullopt;
  line.remove_prefix(4);
  if (!ParseRange(line, counts.old_lines) || !StartsWith(line, " +")) return std::nullopt;
  line.remove_prefix(2);
  if (!ParseRange(line, counts.new_lines) || !StartsWith(line, " @@")) return std::nullopt;
  return counts;
}

class Parser {
 public:
  Parser(std::string_view text, std::filesystem::path source)
      : lines_(SplitLines(text)), source_(std::move(source)) {}

  Expected<std::vector<FilePatch>> Run() {
    while (pos_ < lines_.size()) {
      std::string_view line = lines_[pos_];
      if (StartsWith(line, "diff --git ")) {
        LP_TRY(ParseGitSection());
      } else if (StartsWith(line, "--- ")) {
        FilePatch file;
        file.diff_line = pos_ + 1;
        LP_TRY(ParseFileHeaderAndHunks(file));
        LP_TRY(Finish(file));
      } else if (StartsWith(line, "@@ ")) {
        return ErrorAt(pos_, "hunk outside of any file header ('--- a/...' / '+++ b/...')");
      } else if (StartsWith(line, "Binary files ") || line == "GIT binary patch") {
        return ErrorAt(pos_, "binary patches are not supported");
      } else {
        ++pos_;  // commit message, diffstat, "index" lines of plain diffs...
      }
    }
    if (files_.empty())
      return MakeError(ErrorCode::kParse, source_.string() + ": no file changes found (not a unified diff?)");
    return std::move(files_);
  }

 private:
  Error ErrorAt(std::size_t index, const std::string& what) const {
    return MakeError(ErrorCode::kParse,
                     source_.string() + ":" + std::to_string(index + 1) + ": " + what);
  }

  // "a/fs/proc/cmdline.c\t2024-01-01 ..." -> "fs/proc/cmdline.c"; /dev/null -> "".
  Expected<std::filesystem::path> TreePath(std::string_view raw, std::size_t index) const {
    raw = raw.substr(0, raw.find('\t'));
    while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
    if (raw == "/dev/null") return std::filesystem::path();
    if (!raw.empty() && raw.front() == '"')
      return ErrorAt(index, "quoted file names are not supported: " + std::string(raw));
    std::size_t slash = raw.find('/');
    if (slash == std::string_view::npos || slash + 1 == raw.size())
      return ErrorAt(index, "'" + std::string(raw) + "' has no leading directory to strip (patch -p1)");
    std::filesystem::path path(std::string(raw.substr(slash + 1)));
    if (path.is_absolute())
      return ErrorAt(index, "absolute path '" + path.string() + "'");
    for (const auto& part : path)
      if (part == "..") return ErrorAt(index, "path '" + path.string() + "' leaves the tree");
    return path.lexically_normal();
  }

  // diff --git a/X b/Y, then extended headers, then (unless it is a pure
  // rename or mode change) the usual ---/+++ and hunks.
  Status ParseGitSection() {
    FilePatch file;
    file.diff_line = pos_ + 1;
    std::string_view names = lines_[pos_].substr(11);
    std::size_t split = names.rfind(" b/");
    if (split == std::string_view::npos) return ErrorAt(pos_, "cannot read the file names of 'diff --git'");
    auto old_path = TreePath(names.substr(0, split), pos_);
    if (!old_path) return old_path.error();
    auto new_path = TreePath(names.substr(split + 1), pos_);
    if (!new_path) return new_path.error();
    file.old_path = *old_path;
    file.new_path = *new_path;
    bool renamed = false;
    for (++pos_; pos_ < lines_.size(); ++pos_) {
      std::string_view line = lines_[pos_];
      if (StartsWith(line, "rename from ") || StartsWith(line, "rename to ")) {
        renamed = true;
      } else if (StartsWith(line, "new file mode ")) {
        file.old_path.clear();
      } else if (StartsWith(line, "deleted file mode ")) {
        file.new_path.clear();
      } else if (StartsWith(line, "copy from ") || StartsWith(line, "copy to ")) {
        return ErrorAt(pos_, "git copies are not supported");
      } else if (StartsWith(line, "Binary files ") || line == "GIT binary patch") {
        return ErrorAt(pos_, "binary patches are not supported");
      } else if (!(StartsWith(line, "index ") || StartsWith(line, "similarity index ") ||
                   StartsWith(line, "dissimilarity index ") || StartsWith(line, "old mode ") ||
                   StartsWith(line, "new mode "))) {
        break;
      }
    }
    if (pos_ < lines_.size() && StartsWith(lines_[pos_], "--- ")) {
      LP_TRY(ParseFileHeaderAndHunks(file));
    }
    if (renamed) file.change = FileChange::kRename;
    return Finish(file);
  }

  Status ParseFileHeaderAndHunks(FilePatch& file) {
    std::size_t minus = pos_;
    if (pos_ + 1 >= lines_.size() || !StartsWith(lines_[pos_ + 1], "+++ "))
      return ErrorAt(minus, "'---' file header is not followed by a '+++' header");
    auto old_path = TreePath(lines_[pos_].substr(4), pos_);
    if (!old_path) return old_path.error();
    auto new_path = TreePath(lines_[pos_ + 1].substr(4), pos_ + 1);
    if (!new_path) return new_path.error();
    file.old_path = *old_path;
    file.new_path = *new_path;
    pos_ += 2;
    if (pos_ >= lines_.size() || !StartsWith(lines_[pos_], "@@"))
      return ErrorAt(minus, "file header for '" + file.Path().string() + "' has no hunks");
    while (pos_ < lines_.size() && StartsWith(lines_[pos_], "@@")) {
      LP_TRY(ParseHunk());
      ++file.hunks;
    }
    return Ok();
  }

  Status ParseHunk() {
    std::size_t header = pos_;
    auto counts = ParseHunkHeader(lines_[pos_]);
    if (!counts) return ErrorAt(pos_, "malformed hunk header '" + std::string(lines_[pos_]) + "'");
    long old_left = counts->old_lines;
    long new_left = counts->new_lines;
    for (++pos_; old_left > 0 || new_left > 0; ++pos_) {
      if (pos_ >= lines_.size())
        return ErrorAt(header, "hunk is truncated: the diff ends " + std::to_string(old_left) +
                                   " old / " + std::to_string(new_left) + " new lines early");
      std::string_view line = lines_[pos_];
      char tag = line.empty() ? ' ' : line.front();  // editors strip the blank of empty context lines
      if (tag == '\\') continue;                      // "\ No newline at end of file"
      bool takes_old = tag == ' ' || tag == '-';
      bool takes_new = tag == ' ' || tag == '+';
      if (!takes_old && !takes_new)
        return ErrorAt(pos_, "unexpected line inside the hunk that starts at line " +
                                 std::to_string(header + 1) + " (" + std::to_string(old_left) +
                                 " old / " + std::to_string(new_left) + " new lines still expected)");
      if ((takes_old && old_left == 0) || (takes_new && new_left == 0))
        return ErrorAt(pos_, "hunk that starts at line " + std::to_string(header + 1) +
                                 " has more lines than its header counts");
      old_left -= takes_old ? 1 : 0;
      new_left -= takes_new ? 1 : 0;
    }
    if (pos_ < lines_.size() && StartsWith(lines_[pos_], "\\")) ++pos_;
    return Ok();
  }

  Status Finish(FilePatch& file) {
    if (file.old_path.empty() && file.new_path.empty())
      return ErrorAt(file.diff_line - 1, "both sides of the file header are /dev/null");
    if (file.change != FileChange::kRename) {
      if (file.old_path.empty()) file.change = FileChange::kCreate;
      else if (file.new_path.empty()) file.change = FileChange::kDelete;
    }
    files_.push_back(std::move(file));
    return Ok();
  }

  std::vector<std::string_view> lines_;
  std::filesystem::path source_;
  std::size_t pos_ = 0;
  std::vector<FilePatch> files_;
};

}  // namespace

const char* FileChangeName(FileChange change) {
  switch (change) {
    case FileChange::kModify: return "modify";
    case FileChange::kCreate: return "create";
    case FileChange::kDelete: return "delete";
    case FileChange::kRename: return "rename";
  }
  return "?";
}

std::vector<std::filesystem::path> PatchSet::TouchedPaths() const {
  std::vector<std::filesystem::path> paths;
  auto add = [&paths](const std::filesystem::path& p) {
    if (!p.empty() && std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
  };
  for (const auto& f : files) {
    add(f.old_path);
    add(f.new_path);
  }
  return paths;
}

std::vector<std::filesystem::path> TouchedPaths(const PatchSeries& series) {
  std::vector<std::filesystem::path> paths;
  for (const auto& patch : series)
    for (const auto& p : patch.TouchedPaths())
      if (std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
  return paths;
}

Expected<PatchSet> ParsePatchText(std::string text, const std::filesystem::path& source) {
  Parser parser(text, source);
  auto files = parser.Run();
  if (!files) return files.error();
  return PatchSet{source, std::move(text), std::move(*files)};
}

Expected<PatchSet> ParsePatch(const std::filesystem::path& path) {
  auto text = ReadFile(path, 64u << 20);
  if (!text) return text.error().WithContext("reading patch");
  return ParsePatchText(std::move(*text), path);
}

}  // namespace lp::patchbuild::tree
