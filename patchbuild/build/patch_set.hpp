// A unified diff (plain `diff -u`, `git diff` or `git format-patch` output)
// parsed just enough to know which files it touches and that it is well
// formed. Applying it is patch(1)'s job (see patch_overlay.hpp); this parser
// exists so a malformed patch fails before anything touches the tree, with
// one line naming the diff file and line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp::patchbuild::tree {

enum class FileChange { kModify, kCreate, kDelete, kRename };

const char* FileChangeName(FileChange change);

// One file's part of a patch. Paths are relative to the kernel tree (the
// first component, "a/" or "b/", stripped as `patch -p1` does).
struct FilePatch {
  FileChange change = FileChange::kModify;
  std::filesystem::path old_path;  // empty when the patch creates the file
  std::filesystem::path new_path;  // empty when the patch deletes the file
  int hunks = 0;
  std::size_t diff_line = 0;  // 1-based line of this file's header in the diff

  // The file as it exists after the patch (old_path when it is deleted).
  const std::filesystem::path& Path() const { return new_path.empty() ? old_path : new_path; }
};

struct PatchSet {
  std::filesystem::path source;  // the diff file, for messages ("<stdin>" for text)
  std::string text;              // the diff itself, handed to patch(1) unchanged
  std::vector<FilePatch> files;

  // Every tree path the patch writes, creates or removes (both names of a rename).
  std::vector<std::filesystem::path> TouchedPaths() const;
};

// Several patches applied in order (`patchbuild build --patch a --patch b`):
// a later one may change what an earlier one changed.
using PatchSeries = std::vector<PatchSet>;

// Every tree path any patch of the series touches, first-seen order.
std::vector<std::filesystem::path> TouchedPaths(const PatchSeries& series);

// Reads and parses a diff file. Errors read "<file>:<line>: <what is wrong>".
Expected<PatchSet> ParsePatch(const std::filesystem::path& path);

// Parses diff text; `source` is only used in messages.
Expected<PatchSet> ParsePatchText(std::string text, const std::filesystem::path& source);

}  // namespace lp::patchbuild::tree
