// Lets the twin compile skip the original side's make when it would do
// nothing. A kbuild make of one up-to-date object still costs about a second
// (the top Makefile, prepare checks, descending into objtool): for a one-file
// fix that is a third of the whole build.
//
// After the original side's make succeeds, a stamp per unit records what
// that make left: the sha256 of the object and of its .cmd record, and the
// build key (the make argv without -j, PATH, and the compiler binary's size
// and mtime). The next build skips make for a unit only when all of these
// hold, which is make's own decision redone without running it:
//   - the stamp's key is this build's key (else kbuild's command check, or
//     another compiler, would rebuild);
//   - the object and the .cmd are byte for byte what the stamp says (the
//     overlay puts the originals back after the patched side; anything
//     else - a patched object left by a crash, a half-written object from a
//     killed compile - differs);
//   - no prerequisite the .cmd lists (source, headers, existing
//     $(wildcard ...) config files, objtool) is newer than the object.
// When the stamp exists but the object is not the one it names, the object is
// removed before make: make alone would keep a half-written object whose
// mtime is newer than its sources.
//
// Stamps live outside the kernel tree: <tree dir>/original-stamps/<object>.stamp.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/units.hpp"

namespace lp::patchbuild::tree {

struct OriginalStampStore {
  std::filesystem::path source_dir;  // the kernel tree (objects are relative to it)
  std::filesystem::path stamp_dir;   // <tree dir>/original-stamps

  // The key of a make run: argv minus goals and -jN, plus PATH and the
  // compiler `compiler` resolves to in it (as named in the .cmd, "gcc-12").
  static std::string BuildKey(const std::vector<std::string>& argv_without_goals, const std::string& path_env);

  // Units whose objects need the original make; removes the objects that a
  // stamp proves are not what the last original make left.
  Expected<std::vector<TranslationUnit>> Stale(const std::vector<TranslationUnit>& units,
                                               const std::string& key) const;
  // Records the units' objects as the original make just left them.
  Status Record(const std::vector<TranslationUnit>& units, const std::string& key) const;
};

}  // namespace lp::patchbuild::tree
