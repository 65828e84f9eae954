// Applies a patch to the cached tree only for the length of one build.
//
// Why in place and not a copy of the tree: kbuild's exact flags, paths and
// dependency files belong to the tree, and a second 1.3 GB tree per build
// would cost more than the whole compile. Instead the few files a patch
// touches are saved, patched, built, and put back with their original
// mtime. The caller also has the objects (and their .cmd records) of the
// touched units saved: putting them back too leaves the tree exactly as the
// original build left it, so make sees nothing new and the next build of
// the same units does not even recompile the originals.
//
// Crash safety, in order:
//   1. originals copied to <overlay>/backup/<path>  (tree still untouched;
//      files that did not exist are recorded as such and removed on restore)
//   2. <overlay>/journal written atomically         (from here, recovery restores)
//   3. patch -p1 applied to the tree
//   4. ... build ...
//   5. files restored, patched objects removed, journal removed, backup removed
// A process that dies between 2 and 5 leaves the journal; the next
// PrepareTree (under the tree lock) calls RecoverInterruptedOverlay.
#pragma once

#include <filesystem>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/patch_set.hpp"

namespace lp::patchbuild::tree {

// Checks that every file the series modifies exists (and every file it
// creates does not), then applies the series, in order, to copies of the
// touched files under scratch_dir/trial. (Not `patch --dry-run`: a dry run
// cannot see what an earlier patch of the series did to the same file.)
// Writes nothing to the tree. A failure names the patch, file and hunk:
// "patch fix.patch does not apply: fs/proc/cmdline.c: hunk #1 FAILED at 9".
Status CheckPatchApplies(const std::filesystem::path& tree, const PatchSeries& patches,
                         const std::filesystem::path& scratch_dir);

class PatchOverlay {
 public:
  // Saves the files the series touches and `also_preserve` (tree-relative, e.g.
  // fs/proc/cmdline.o and fs/proc/.cmdline.o.cmd, which the patched build
  // will overwrite), writes the journal and applies the patches. If patch(1)
  // fails the tree is restored before the error is returned.
  static Expected<PatchOverlay> Apply(const std::filesystem::path& tree,
                                      const std::filesystem::path& overlay_dir,
                                      const PatchSeries& patches,
                                      const std::vector<std::filesystem::path>& also_preserve);

  PatchOverlay(PatchOverlay&& o) noexcept;
  PatchOverlay& operator=(PatchOverlay&&) = delete;
  PatchOverlay(const PatchOverlay&) = delete;
  PatchOverlay& operator=(const PatchOverlay&) = delete;
  // Restores the tree if Restore() was not called (error paths).
  ~PatchOverlay();

  // Puts the tree back as it was and removes the journal.
  Status Restore();

  // Forgets the overlay without restoring, as if the process had been
  // killed: the journal stays for RecoverInterruptedOverlay. Tests only.
  void AbandonForTesting() { active_ = false; }

 private:
  PatchOverlay(std::filesystem::path tree, std::filesystem::path overlay_dir)
      : tree_(std::move(tree)), overlay_dir_(std::move(overlay_dir)) {}

  std::filesystem::path tree_;
  std::filesystem::path overlay_dir_;
  bool active_ = true;
};

// If a journal is left in overlay_dir, restores the files it lists, then
// removes it. A backup without a journal (death
// before step 2) is simply discarded. Returns true when something was undone.
Expected<bool> RecoverInterruptedOverlay(const std::filesystem::path& tree,
                                         const std::filesystem::path& overlay_dir);

}  // namespace lp::patchbuild::tree
