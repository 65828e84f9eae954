#include "patchbuild/build/patch_overlay.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "common/file_util.hpp"
#include "common/raii.hpp"
#include "patchbuild/build/command.hpp"
#include "patchbuild/build/tree_steps.hpp"

namespace lp::patchbuild::tree {
namespace fs = std::filesystem;
namespace {

constexpr const char* kJournalMagic = "fleetpatch-overlay 1";

struct JournalFile {
  fs::path path;  // tree-relative
  bool existed = false;
  long long mtime_ns = 0;
};

struct Journal {
  std::vector<JournalFile> files;
};

fs::path JournalPath(const fs::path& overlay) { return overlay / "journal"; }
fs::path BackupDir(const fs::path& overlay) { return overlay / "backup"; }
fs::path DiffCopy(const fs::path& overlay) { return overlay / "patch.diff"; }

std::string Serialize(const Journal& j) {
  std::string out = std::string(kJournalMagic) + "\n";
  for (const auto& f : j.files)
    out += "file " + std::string(f.existed ? "1 " : "0 ") + std::to_string(f.mtime_ns) + " " +
           f.path.string() + "\n";
  return out;
}

Expected<Journal> Deserialize(const std::string& text, const fs::path& where) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kJournalMagic)
    return MakeError(ErrorCode::kParse, where.string() + ": not an overlay journal");
  Journal j;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "file") {
      JournalFile f;
      int existed = 0;
      fields >> existed >> f.mtime_ns;
      fields.get();  // the single space before the path
      std::string path;
      std::getline(fields, path);
      f.existed = existed != 0;
      f.path = path;
      j.files.push_back(f);
    } else if (!kind.empty()) {
      return MakeError(ErrorCode::kParse, where.string() + ": unknown journal line '" + line + "'");
    }
  }
  return j;
}

Error Errno(const std::string& what) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno));
}

Status SetMtime(const fs::path& path, long long mtime_ns) {
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = static_cast<time_t>(mtime_ns / 1000000000LL);
  times[1].tv_nsec = static_cast<long>(mtime_ns % 1000000000LL);
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) return Errno("setting mtime of " + path.string());
  return Ok();
}

Status CopyPreservingMode(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return MakeError(ErrorCode::kIo, "copying " + from.string() + " to " + to.string() + ": " + ec.message());
  return Ok();
}

// Step 1 of the header comment: saves one touched file, returns its entry.
Expected<JournalFile> SaveOriginal(const fs::path& tree, const fs::path& backup, const fs::path& rel) {
  JournalFile f{rel, false, 0};
  struct stat st {};
  if (::lstat((tree / rel).c_str(), &st) != 0) {
    if (errno == ENOENT) return f;  // created by the patch: restore removes it
    return Errno("stat " + (tree / rel).string());
  }
  if (!S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kUnsupported, rel.string() + ": the patch touches something that is not a regular file");
  f.existed = true;
  f.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  LP_TRY(CopyPreservingMode(tree / rel, backup / rel));
  // On disk before the journal that points at it, so even a power cut after
  // the journal leaves a complete original to restore.
  UniqueFd fd(::open((backup / rel).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return Errno("syncing backup of " + rel.string());
  return f;
}

// Puts one file back: copy beside it, restore mtime, rename over (so a crash
// here leaves either the patched or the original file, and the journal still
// says to restore it).
Status RestoreFile(const fs::path& tree, const fs::path& backup, const JournalFile& f) {
  fs::path target = tree / f.path;
  std::error_code ec;
  if (!f.existed) {
    fs::remove(target, ec);
    if (ec) return MakeError(ErrorCode::kIo, "removing " + target.string() + ": " + ec.message());
    return Ok();
  }
  fs::path tmp = target;
  tmp += ".lp-restore";
  LP_TRY(CopyPreservingMode(backup / f.path, tmp));
  LP_TRY(SetMtime(tmp, f.mtime_ns));
  if (::rename(tmp.c_str(), target.c_str()) != 0) return Errno("restoring " + target.string());
  return Ok();
}

// Restores everything the journal lists; keeps going after a failure so as
// much as possible is restored, and keeps the journal if anything failed.
Status RestoreFromJournal(const fs::path& tree, const fs::path& overlay) {
  auto text = ReadFile(JournalPath(overlay));
  if (!text) return text.error();
  auto journal = Deserialize(*text, JournalPath(overlay));
  if (!journal) return journal.error();
  Status first_error = Ok();
  for (const auto& f : journal->files) {
    auto st = RestoreFile(tree, BackupDir(overlay), f);
    if (!st && first_error) first_error = st;
  }
  if (!first_error) return first_error.error().WithContext("restoring the tree (journal kept for recovery)");
  if (::unlink(JournalPath(overlay).c_str()) != 0) return Errno("removing journal");
  std::error_code ec;
  fs::remove_all(BackupDir(overlay), ec);
  fs::remove(DiffCopy(overlay), ec);
  return Ok();
}

std::vector<std::string> PatchArgv(const fs::path& tree, const fs::path& diff) {
  // --forward: an already-applied patch is an error, not a silent reverse.
  // --fuzz=0: context must match exactly (offsets are fine); a fuzzy match
  //   against another kernel version could land a fix in the wrong place.
  std::vector<std::string> argv = {"patch", "-p1", "--forward", "--batch", "--fuzz=0",
                                   "--no-backup-if-mismatch", "--reject-file=-",
                                   "-d", tree.string(), "-i", diff.string()};
  return argv;
}

// patch(1)'s output -> "fs/proc/cmdline.c: hunk #1 FAILED at 9; ...".
std::string SummarizePatchFailure(const std::string& output) {
  std::istringstream in(output);
  std::string file, summary;
  for (std::string line; std::getline(in, line);) {
    const std::string prefix = "patching file ";
    if (line.rfind(prefix, 0) == 0) file = line.substr(prefix.size());
    bool hunk_failed = line.rfind("Hunk #", 0) == 0 && line.find("FAILED") != std::string::npos;
    bool reversed = line.find("Reversed (or previously applied) patch detected") != std::string::npos;
    if (!hunk_failed && !reversed) continue;
    std::string what = hunk_failed ? "hunk #" + line.substr(6) : "already applied or reversed";
    while (!what.empty() && what.back() == '.') what.pop_back();
    summary += (summary.empty() ? "" : "; ") + file + ": " + what;
  }
  return summary.empty() ? OutputTail(output, 5) : summary;
}

// Walks the series in order, tracking which files exist after each patch, so
// "fs/x.c is not in the source tree" is said before patch(1) says something
// vaguer ("can't find file to patch at input line 5").
Status CheckTargetsExist(const fs::path& tree, const PatchSeries& patches) {
  std::map<fs::path, bool> exists;
  auto present = [&](const fs::path& rel) {
    auto it = exists.find(rel);
    std::error_code ec;
    return it != exists.end() ? it->second : fs::exists(tree / rel, ec);
  };
  for (const auto& patch : patches) {
    for (const auto& f : patch.files) {
      bool must_exist = f.change != FileChange::kCreate;
      const fs::path& rel = must_exist ? f.old_path : f.new_path;
      if (present(rel) != must_exist)
        return MakeError(must_exist ? ErrorCode::kNotFound : ErrorCode::kConflict,
                         "patch does not apply: " + rel.string() +
                             (must_exist ? " is not in the source tree" : " already exists in the source tree") +
                             " (" + patch.source.string() + ":" + std::to_string(f.diff_line) + ")");
      if (!f.old_path.empty()) exists[f.old_path] = false;
      if (!f.new_path.empty()) exists[f.new_path] = true;
    }
  }
  return Ok();
}

Status RunPatch(const fs::path& tree, const fs::path& overlay, const PatchSet& patch) {
  LP_TRY(MakeDirs(overlay));
  LP_TRY(WriteFileAtomic(DiffCopy(overlay), patch.text));
  auto result = RunCommand(Command(PatchArgv(tree, DiffCopy(overlay))));
  if (!result) return result.error().WithContext("running patch");
  if (!result->ok())
    return MakeError(ErrorCode::kConflict, "patch " + patch.source.string() + " does not apply: " +
                                               SummarizePatchFailure(result->output));
  return Ok();
}

}  // namespace

Status CheckPatchApplies(const fs::path& tree, const PatchSeries& patches, const fs::path& scratch_dir) {
  LP_TRY(CheckTargetsExist(tree, patches));
  fs::path trial = scratch_dir / "trial";
  std::error_code ec;
  fs::remove_all(trial, ec);
  for (const auto& rel : TouchedPaths(patches)) {
    if (fs::is_regular_file(tree / rel, ec)) LP_TRY(CopyPreservingMode(tree / rel, trial / rel));
  }
  LP_TRY(MakeDirs(trial));
  Status applied = Ok();
  for (const auto& patch : patches) {
    applied = RunPatch(trial, scratch_dir, patch);
    if (!applied) break;
  }
  fs::remove_all(trial, ec);
  return applied;
}

Expected<PatchOverlay> PatchOverlay::Apply(const fs::path& tree, const fs::path& overlay_dir,
                                           const PatchSeries& patches,
                                           const std::vector<fs::path>& also_preserve) {
  std::error_code ec;
  if (fs::exists(JournalPath(overlay_dir), ec))
    return MakeError(ErrorCode::kConflict, "a patch from an earlier build is still applied to " + tree.string() +
                                               " (journal " + JournalPath(overlay_dir).string() + ")");
  fs::remove_all(BackupDir(overlay_dir), ec);
  std::vector<fs::path> preserved = TouchedPaths(patches);
  for (const auto& p : also_preserve)
    if (std::find(preserved.begin(), preserved.end(), p) == preserved.end()) preserved.push_back(p);
  Journal journal;
  for (const auto& rel : preserved) {
    auto saved = SaveOriginal(tree, BackupDir(overlay_dir), rel);
    if (!saved) return saved.error();
    journal.files.push_back(*saved);
  }
  LP_TRY(WriteFileAtomic(JournalPath(overlay_dir), Serialize(journal)));
  PatchOverlay overlay(tree, overlay_dir);  // from here its destructor restores
  for (const auto& patch : patches) LP_TRY(RunPatch(tree, overlay_dir, patch));
  return overlay;
}

PatchOverlay::PatchOverlay(PatchOverlay&& o) noexcept
    : tree_(std::move(o.tree_)), overlay_dir_(std::move(o.overlay_dir_)), active_(o.active_) {
  o.active_ = false;
}

PatchOverlay::~PatchOverlay() {
  if (active_) (void)Restore();  // best effort; a failure leaves the journal for recovery
}

Status PatchOverlay::Restore() {
  if (!active_) return Ok();
  active_ = false;
  return RestoreFromJournal(tree_, overlay_dir_);
}

Expected<bool> RecoverInterruptedOverlay(const fs::path& tree, const fs::path& overlay_dir) {
  std::error_code ec;
  if (!fs::exists(JournalPath(overlay_dir), ec)) {
    fs::remove_all(BackupDir(overlay_dir), ec);  // died before the journal: tree untouched
    return false;
  }
  auto st = RestoreFromJournal(tree, overlay_dir);
  if (!st) return st.error().WithContext("recovering from an interrupted build");
  return true;
}

}  // namespace lp::patchbuild::tree
