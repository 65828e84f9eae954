#include "patchbuild/build/twin_compile.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "common/file_util.hpp"
#include "patchbuild/build/command.hpp"
#include "patchbuild/build/original_stamp.hpp"
#include "patchbuild/build/patch_overlay.hpp"
#include "patchbuild/build/tree_steps.hpp"

namespace lp::patchbuild::tree {
namespace fs = std::filesystem;
namespace {

enum class Side { kOriginal, kPatched };

const char* SideName(Side s) { return s == Side::kOriginal ? "original" : "patched"; }

fs::path OutPath(const fs::path& out_dir, const fs::path& object, Side side) {
  std::string name = object.stem().string() + (side == Side::kOriginal ? ".orig.o" : ".patched.o");
  return out_dir / object.parent_path() / name;
}

// Builds all units of one side with one make invocation.
Status Build(const PreparedTree& tree, const std::vector<TranslationUnit>& units, Side side,
             const fs::path& out_dir, const std::vector<fs::path>& include_dirs) {
  std::vector<std::string> goals;
  for (const auto& u : units) goals.push_back(u.object.string());
  CommandSpec spec = BuildCommand(tree.MakeArgv(goals, include_dirs));
  auto result = RunCommand(spec);
  if (!result) return result.error().WithContext("running make");
  fs::path log = out_dir / (side == Side::kOriginal ? "make-orig.log" : "make-patched.log");
  LP_TRY(WriteFileAtomic(log, DescribeArgv(spec.argv) + "\n" + result->output));
  if (result->ok()) return Ok();
  std::string why = FirstBuildError(result->output);
  std::string files;
  for (const auto& u : units) files += (files.empty() ? "" : ", ") + u.source.string();
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string("compiling the ") + SideName(side) + " " + files + " failed: " +
                       (why.empty() ? LastMeaningfulLine(result->output) : why) + " (log: " + log.string() + ")");
}

Status CopyOut(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return MakeError(ErrorCode::kIo, "copying " + from.string() + " to " + to.string() + ": " + ec.message());
  return Ok();
}

// Copies each unit's object out and checks kbuild really used our flags.
Status CollectSide(const PreparedTree& tree, const std::vector<TranslationUnit>& units, Side side,
                   const fs::path& out_dir, std::vector<ObjectPair>& pairs) {
  for (std::size_t i = 0; i < units.size(); ++i) {
    const auto& u = units[i];
    LP_TRY(CopyOut(tree.source_dir / u.object, OutPath(out_dir, u.object, side)));
    // kbuild's record goes along, named by kbuild's rule: it holds the
    // modversions CRCs of exported symbols (patchbuild/diff/export_crcs.hpp).
    LP_TRY(CopyOut(CmdFilePath(tree.source_dir / u.object), CmdFilePath(OutPath(out_dir, u.object, side))));
    auto cmd = ReadObjectCmd(tree.source_dir, u.object);
    if (!cmd) return cmd.error();
    // Directories that set their own flags (vDSO, boot code, purgatory) drop
    // KCFLAGS; their code is not livepatchable anyway.
    if (cmd->command.find(kExtraCflags) == std::string::npos)
      return MakeError(ErrorCode::kUnsupported, u.object.string() + " is built with its own flags (without " +
                                                    kExtraCflags + "): not livepatchable");
    ObjectPair& p = pairs[i];
    p.unit = u;
    p.in_module = cmd->is_module;
    p.object_name = cmd->is_module ? cmd->modname : "vmlinux";
    p.compile_command = cmd->command;
    (side == Side::kOriginal ? p.original : p.patched) = OutPath(out_dir, u.object, side);
  }
  return Ok();
}

Status RemoveObjects(const PreparedTree& tree, const std::vector<TranslationUnit>& units) {
  for (const auto& u : units) {
    std::error_code ec;
    fs::remove(tree.source_dir / u.object, ec);
    if (ec) return MakeError(ErrorCode::kIo, "removing " + u.object.string() + ": " + ec.message());
  }
  return Ok();
}

// Builds the originals of a local header's neighbours so their .cmd records
// exist (units.hpp). Failures are expected (files outside the config) and
// ignored; the log stays in out_dir. Same KCFLAGS as the sides (MakeArgv).
Status BuildHeaderNeighbours(const PreparedTree& tree, const std::vector<TranslationUnit>& neighbours,
                             const fs::path& out_dir, const std::vector<fs::path>& include_dirs) {
  std::vector<std::string> goals = {"-k"};
  for (const auto& u : neighbours) goals.push_back(u.object.string());
  CommandSpec spec = BuildCommand(tree.MakeArgv(goals, include_dirs));
  auto result = RunCommand(spec);
  if (!result) return result.error().WithContext("running make");
  return WriteFileAtomic(out_dir / "make-header-users.log", DescribeArgv(spec.argv) + "\n" + result->output);
}

// The original side: make only the units whose objects the stamps do not
// prove current (original_stamp.hpp), then collect all of them.
Status BuildOriginals(const PreparedTree& tree, const std::vector<TranslationUnit>& units, const fs::path& out_dir,
                      const std::vector<fs::path>& include_dirs, std::vector<ObjectPair>& pairs) {
  const OriginalStampStore stamps{tree.source_dir, tree.OriginalStampsDir()};
  const char* path = std::getenv("PATH");
  const std::string key = OriginalStampStore::BuildKey(tree.MakeArgv({}, include_dirs), path ? path : "");
  auto stale = stamps.Stale(units, key);
  if (!stale) return stale.error();
  if (stale->empty())
    LP_TRY(WriteFileAtomic(out_dir / "make-orig.log",
                           "make not run: every original object is the one the last original make left "
                           "(stamps in " + stamps.stamp_dir.string() + ")\n"));
  else
    LP_TRY(Build(tree, *stale, Side::kOriginal, out_dir, include_dirs));
  LP_TRY(CollectSide(tree, units, Side::kOriginal, out_dir, pairs));
  return stamps.Record(*stale, key);
}

Expected<std::vector<TranslationUnit>> UnitsToBuild(const PreparedTree& tree, const PatchSeries& patches,
                                                    const CompileOptions& options) {
  auto units = FindTouchedUnits(tree.source_dir, patches);
  if (!units) return units.error();
  for (const auto& extra : options.extra_units)
    if (std::find(units->begin(), units->end(), extra) == units->end()) units->push_back(extra);
  return units;
}

}  // namespace

std::string FirstBuildError(const std::string& make_output) {
  std::istringstream in(make_output);
  std::string fallback;
  for (std::string line; std::getline(in, line);) {
    if (line.find(": error: ") != std::string::npos || line.find(": fatal error: ") != std::string::npos)
      return line;
    if (fallback.empty() && line.find("No rule to make target") != std::string::npos)
      fallback = line + " (is the file built with the target's config?)";
  }
  return fallback;
}

Expected<CompileResult> CompileTwice(const PreparedTree& tree, const PatchSeries& patches,
                                     const fs::path& out_dir, const CompileOptions& options) {
  CompileResult result;
  StageClock clock(result.times);
  LP_TRY(MakeDirs(out_dir));
  auto recovered = RecoverInterruptedOverlay(tree.source_dir, tree.OverlayDir());
  if (!recovered) return recovered.error();
  if (patches.empty()) return MakeError(ErrorCode::kInvalidArgument, "no patch given");
  LP_TRY(CheckPatchApplies(tree.source_dir, patches, tree.OverlayDir()));  // cheap: fail fast
  clock.Lap("patch-check");
  auto neighbours = UnbuiltNeighboursOfLocalHeaders(tree.source_dir, patches);
  if (!neighbours.empty()) {
    LP_TRY(BuildHeaderNeighbours(tree, neighbours, out_dir, options.include_dirs));
    clock.Lap("build-header-users");
  }
  auto units = UnitsToBuild(tree, patches, options);
  if (!units) return units.error();
  clock.Lap("find-units");

  result.pairs.resize(units->size());
  LP_TRY(BuildOriginals(tree, *units, out_dir, options.include_dirs, result.pairs));
  clock.Lap("compile-orig");

  std::vector<fs::path> preserve;
  for (const auto& u : *units) {
    preserve.push_back(u.object);
    preserve.push_back(CmdFilePath(u.object));
  }
  auto overlay = PatchOverlay::Apply(tree.source_dir, tree.OverlayDir(), patches, preserve);
  if (!overlay) return overlay.error();
  // Force the rebuild: the patched sources are newer anyway, but a header
  // patch with a restored-looking mtime must not let make skip a unit.
  LP_TRY(RemoveObjects(tree, *units));
  clock.Lap("patch-apply");
  LP_TRY(Build(tree, *units, Side::kPatched, out_dir, options.include_dirs));
  LP_TRY(CollectSide(tree, *units, Side::kPatched, out_dir, result.pairs));
  clock.Lap("compile-patched");
  LP_TRY(overlay->Restore());
  clock.Lap("restore");
  return result;
}

}  // namespace lp::patchbuild::tree
