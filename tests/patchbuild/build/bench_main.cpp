// patchbuild_tree_bench: stage timings of the tree stage for one patch, and
// the floor a build is measured against.
//   patchbuild_tree_bench --target R --patch FIX.patch [--patch ...]
//                         [--source TARBALL] [--cache-dir DIR] [--out DIR]
//                         [--include-dir DIR ...] [--floor-only [--runs N] [--json]]
//   patchbuild_tree_bench --drop-originals --target R --patch FIX.patch ... [--cache-dir DIR]
// Default: prepare (or reuse), parse, each CompileTwice stage, the total, the
// floor and the ratio build/floor.
// --floor-only: only the floor, N times (bench/patchbuild_bench.sh uses it).
// --drop-originals: removes the touched units' objects and their stamps
// (original_stamp.hpp) from the tree, so that the next `patchbuild build`
// compiles the originals as for units this tree never built (the bench's
// "first build" figure). Their .cmd records stay: they name a header's users.
//
// The floor is the bare kbuild compile of the touched units twice, with the
// argv the twin compile uses (PreparedTree::MakeArgv: the target's flags +
// KCFLAGS="-ffunction-sections -fdata-sections", plus " -I<abs DIR>" for each
// --include-dir as CompileOptions::include_dirs adds; `patchbuild build` passes
// kmod/include). The KCFLAGS must be exactly the build's: kbuild records them
// in the .cmd of prepare-time objects (asm-offsets.s, bounds.s, modpost), and
// any other KCFLAGS rebuilds those in the shared tree. The objects removed and
// made from the original sources, then removed and made from the patched
// sources. The cached tree is shared (tests run concurrently) and stays as it
// was: its objects and .cmd records are put back with their mtimes after the
// original side, and the patched side runs inside a PatchOverlay, exactly as
// CompileTwice does. All of it holds the tree's lock.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "patchbuild/build/command.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/patch_overlay.hpp"
#include "patchbuild/build/twin_compile.hpp"
#include "patchbuild/build/units.hpp"

namespace tree = lp::patchbuild::tree;
namespace fs = std::filesystem;

namespace {

struct Args {
  tree::TreeOptions options;
  std::vector<std::string> patches;
  std::vector<fs::path> include_dirs;
  fs::path out = "/tmp/patchbuild-tree-bench";
  bool floor_only = false;
  bool drop_originals = false;
  bool json = false;
  int runs = 1;
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Print(const std::string& stage, double seconds) { std::printf("%-24s %8.2f s\n", stage.c_str(), seconds); }

// The units' objects and .cmd records, as the tree has them now.
std::vector<fs::path> UnitFiles(const std::vector<tree::TranslationUnit>& units) {
  std::vector<fs::path> files;
  for (const auto& u : units) {
    files.push_back(u.object);
    files.push_back(tree::CmdFilePath(u.object));
  }
  return files;
}

// Copies `files` (tree-relative) from `from` to `to`, keeping mtimes.
lp::Status CopyFiles(const fs::path& from, const fs::path& to, const std::vector<fs::path>& files) {
  for (const auto& f : files) {
    std::error_code ec;
    fs::create_directories((to / f).parent_path(), ec);
    fs::copy_file(from / f, to / f, fs::copy_options::overwrite_existing, ec);
    fs::file_time_type mtime;
    if (!ec) mtime = fs::last_write_time(from / f, ec);
    if (!ec) fs::last_write_time(to / f, mtime, ec);
    if (ec) return lp::MakeError(lp::ErrorCode::kIo, "copying " + (from / f).string() + ": " + ec.message());
  }
  return lp::Ok();
}


// Removes the units' objects and builds them with one make, as CompileTwice does.
lp::Expected<double> BareMake(const tree::PreparedTree& t, const std::vector<tree::TranslationUnit>& units,
                              const std::vector<fs::path>& include_dirs) {
  std::vector<std::string> goals;
  for (const auto& u : units) {
    std::error_code ec;
    fs::remove(t.source_dir / u.object, ec);
    goals.push_back(u.object.string());
  }
  auto start = std::chrono::steady_clock::now();
  auto r = tree::RunCommand(tree::BuildCommand(t.MakeArgv(goals, include_dirs)));
  if (!r) return r.error();
  if (!r->ok()) return lp::MakeError(lp::ErrorCode::kInternal, "bare make failed: " + tree::FirstBuildError(r->output));
  return Since(start);
}

struct FloorRun {
  double original = 0;
  double patched = 0;
};

// One floor measurement; the tree ends as it started (see the file comment).
lp::Expected<FloorRun> MeasureFloor(const tree::PreparedTree& t, const tree::PatchSeries& patches,
                                    const std::vector<tree::TranslationUnit>& units, const Args& args) {
  FloorRun run;
  const std::vector<fs::path> files = UnitFiles(units);
  const fs::path saved = args.out / "floor-saved";
  LP_TRY(CopyFiles(t.source_dir, saved, files));
  auto original = BareMake(t, units, args.include_dirs);
  lp::Status put_back = CopyFiles(saved, t.source_dir, files);
  if (!original) return original.error();
  LP_TRY(put_back);
  run.original = *original;

  auto overlay = tree::PatchOverlay::Apply(t.source_dir, t.OverlayDir(), patches, files);
  if (!overlay) return overlay.error();
  auto patched = BareMake(t, units, args.include_dirs);
  LP_TRY(overlay->Restore());
  if (!patched) return patched.error();
  run.patched = *patched;
  return run;
}

// The units the twin compile builds for `patches` (after building a local
// header's unbuilt neighbours, as CompileTwice does, so their .cmd exist).
lp::Expected<std::vector<tree::TranslationUnit>> TouchedUnits(const tree::PreparedTree& t,
                                                              const tree::PatchSeries& patches,
                                                              const std::vector<fs::path>& include_dirs) {
  auto neighbours = tree::UnbuiltNeighboursOfLocalHeaders(t.source_dir, patches);
  if (!neighbours.empty()) {
    std::vector<std::string> goals = {"-k"};
    for (const auto& u : neighbours) goals.push_back(u.object.string());
    auto r = tree::RunCommand(tree::BuildCommand(t.MakeArgv(goals, include_dirs)));
    if (!r) return r.error();
  }
  return tree::FindTouchedUnits(t.source_dir, patches);
}

void PrintFloorJson(const std::vector<tree::TranslationUnit>& units, const std::vector<FloorRun>& runs) {
  std::printf("{\"units\":[");
  for (std::size_t i = 0; i < units.size(); ++i) std::printf("%s\"%s\"", i ? "," : "", units[i].object.c_str());
  std::printf("],\"runs\":[");
  for (std::size_t i = 0; i < runs.size(); ++i)
    std::printf("%s{\"original\":%.3f,\"patched\":%.3f,\"seconds\":%.3f}", i ? "," : "", runs[i].original,
                runs[i].patched, runs[i].original + runs[i].patched);
  std::printf("]}\n");
}

int Fail(const lp::Error& e) {
  std::cerr << "patchbuild_tree_bench: error: " << e.message << "\n";
  return 1;
}

bool ParseArgs(int argc, char** argv, Args& a) {
  a.options.source = "/usr/src/linux-source-6.1.tar.xz";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--floor-only" || flag == "--json" || flag == "--drop-originals") {
      (flag == "--json" ? a.json : flag == "--floor-only" ? a.floor_only : a.drop_originals) = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    std::string value = argv[++i];
    if (flag == "--patch") {
      a.patches.push_back(value);
    } else if (flag == "--target") {
      a.options.target.release = value;
    } else if (flag == "--source") {
      a.options.source = value;
    } else if (flag == "--cache-dir") {
      a.options.cache_dir = value;
    } else if (flag == "--include-dir") {
      a.include_dirs.emplace_back(value);
    } else if (flag == "--out") {
      a.out = value;
    } else if (flag == "--runs") {
      a.runs = std::max(1, std::atoi(value.c_str()));
    } else {
      return false;
    }
  }
  return !a.patches.empty() && !a.options.target.release.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) {
    std::cerr << "usage: patchbuild_tree_bench --patch FIX.patch [--patch ...] --target RELEASE [--source SRC] "
                 "[--cache-dir DIR] [--out DIR] [--include-dir DIR ...] "
                 "[--floor-only [--runs N] [--json] | --drop-originals]\n";
    return 1;
  }
  auto total_start = std::chrono::steady_clock::now();
  auto prepared = tree::PrepareTree(args.options);
  if (!prepared) return Fail(prepared.error());
  if (!args.json) {
    for (const auto& [stage, s] : prepared->times) Print("prepare/" + stage, s);
    Print(prepared->reused ? "prepare (reused)" : "prepare", Since(total_start));
  }

  auto build_start = std::chrono::steady_clock::now();
  tree::PatchSeries patches;
  for (const auto& p : args.patches) {
    auto patch = tree::ParsePatch(p);
    if (!patch) return Fail(patch.error());
    patches.push_back(std::move(*patch));
  }
  double build = 0;
  if (!args.floor_only && !args.drop_originals) {  // the build and its ratio
    Print("parse-patch", Since(build_start));
    tree::CompileOptions compile_options;
    compile_options.include_dirs = args.include_dirs;
    auto result = tree::CompileTwice(*prepared, patches, args.out, compile_options);
    if (!result) return Fail(result.error());
    for (const auto& [stage, s] : result->times) Print(stage, s);
    build = Since(build_start);
    Print("build total", build);
  }

  auto units = TouchedUnits(*prepared, patches, args.include_dirs);
  if (!units) return Fail(units.error());
  if (args.drop_originals) {
    for (const auto& u : *units) {
      std::error_code ec;
      fs::remove(prepared->source_dir / u.object, ec);
      fs::remove(prepared->OriginalStampsDir() / (u.object.string() + ".stamp"), ec);
    }
    return 0;
  }
  std::vector<FloorRun> runs;
  for (int i = 0; i < (args.floor_only ? args.runs : 1); ++i) {
    auto run = MeasureFloor(*prepared, patches, *units, args);
    if (!run) return Fail(run.error());
    runs.push_back(*run);
    if (!args.json) {
      Print("floor original", run->original);
      Print("floor patched", run->patched);
      Print("floor (bare make x2)", run->original + run->patched);
    }
  }
  if (args.json) PrintFloorJson(*units, runs);
  if (!args.floor_only)
    std::printf("ratio build/floor       %8.2f\n", build / (runs.front().original + runs.front().patched));
  return 0;
}
