// patchbuild_diff_bench: throughput of the diff stage alone (DiffFiles, in
// process) over every original/patched object pair of one kernel directory.
//   patchbuild_diff_bench --target R --patch P [--dir fs/ext4] [--runs N]
//                         [--source SRC] [--cache-dir TREES] [--pairs-dir DIR]
//
// The pairs: the directory compiled twice with the twin compile's argv
// (PreparedTree::MakeArgv: the target's flags + KCFLAGS="-ffunction-sections
// -fdata-sections"), from the original sources and with P applied. That is
// done in a scratch copy of the prepared tree, never in the cached tree itself
// (other builds and tests share it; the copy is taken under its lock). The two
// object sets are kept in --pairs-dir (default
// $FLEETPATCH_TEST_CACHE/bench-diff-<release>-<dir>-<hash of P>-v<layout>) and reused by
// the next run; delete it to compile again.
//
// Prints, per run: pairs, bytes (original + patched object sizes), seconds and
// MB/s (10^6 bytes), then the median run, the slowest pair and what the diffs found.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_util.hpp"
#include "patchbuild/build/command.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/twin_compile.hpp"
#include "patchbuild/build/units.hpp"
#include "patchbuild/diff/diff.hpp"

namespace tree = lp::patchbuild::tree;
namespace fs = std::filesystem;

namespace {

// Bumped when what a pairs dir holds changes (2: the .cmd records beside the objects).
constexpr int kPairsLayout = 2;

struct Args {
  tree::TreeOptions options;
  fs::path patch;
  fs::path dir = "fs/ext4";
  fs::path pairs_dir;
  int runs = 3;
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

lp::Status Run(const tree::CommandSpec& spec, const fs::path& log) {
  auto r = tree::RunCommand(spec);
  if (!r) return r.error();
  LP_TRY(lp::WriteFileAtomic(log, tree::DescribeArgv(spec.argv) + "\n" + r->output));
  if (r->ok()) return lp::Ok();
  std::string why = tree::FirstBuildError(r->output);
  return lp::MakeError(lp::ErrorCode::kInternal, tree::DescribeArgv(spec.argv) + " failed: " + why +
                                                     " (log: " + log.string() + ")");
}

// Objects of the directory compiled from one .c each (kbuild's .cmd names the
// source); linked composites (ext4.o), *.mod.o and built-in.a are not units.
std::vector<fs::path> UnitObjects(const fs::path& linux, const fs::path& dir) {
  std::vector<fs::path> objects;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(linux / dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() < 8 || name[0] != '.' || name.substr(name.size() - 6) != ".o.cmd") continue;
    fs::path object = it->path().parent_path().lexically_relative(linux) / name.substr(1, name.size() - 5);
    auto cmd = tree::ReadObjectCmd(linux, object);
    if (!cmd || cmd->deps.empty() || cmd->deps.front().extension() != ".c") continue;
    if (cmd->deps.front().string().ends_with(".mod.c")) continue;
    objects.push_back(object);
  }
  std::sort(objects.begin(), objects.end());
  return objects;
}

// Each object with its kbuild record (.<name>.o.cmd) beside it, as the twin
// compile leaves them: the diff reads the modversions CRCs from the record.
lp::Status CopyObjects(const fs::path& linux, const std::vector<fs::path>& objects, const fs::path& to) {
  for (const auto& o : objects) {
    const fs::path record = o.parent_path() / ("." + o.filename().string() + ".cmd");
    std::error_code ec;
    fs::create_directories((to / o).parent_path(), ec);
    for (const auto& f : {o, record})
      if (!ec) fs::copy_file(linux / f, to / f, fs::copy_options::overwrite_existing, ec);
    if (ec) return lp::MakeError(lp::ErrorCode::kIo, "copying " + o.string() + ": " + ec.message());
  }
  return lp::Ok();
}

// Compiles the pairs into `pairs` (see the file comment). Returns the objects.
lp::Expected<std::vector<fs::path>> MakePairs(const Args& a, const fs::path& pairs) {
  const fs::path work = pairs.string() + ".tmp";
  std::error_code ec;
  fs::remove_all(work, ec);
  LP_TRY(lp::MakeDirs(work));
  const fs::path linux = work / "linux";
  std::vector<std::string> make;
  {
    auto t0 = std::chrono::steady_clock::now();
    auto prepared = tree::PrepareTree(a.options);  // holds the tree's lock until the copy is done
    if (!prepared) return prepared.error();
    LP_TRY(Run(tree::Command({"cp", "-a", prepared->source_dir.string(), linux.string()}), work / "copy.log"));
    make = prepared->MakeArgv({a.dir.string() + "/"});
    make[2] = linux.string();  // make -C <copy> ...
    std::printf("copied %s in %.1f s\n", prepared->source_dir.c_str(), Since(t0));
  }
  auto t0 = std::chrono::steady_clock::now();
  LP_TRY(Run(tree::BuildCommand(make), work / "make-orig.log"));
  std::vector<fs::path> objects = UnitObjects(linux, a.dir);
  if (objects.empty()) return lp::MakeError(lp::ErrorCode::kNotFound, "no unit objects under " + a.dir.string());
  LP_TRY(CopyObjects(linux, objects, work / "orig"));
  std::printf("compiled %zu original units in %.1f s\n", objects.size(), Since(t0));

  t0 = std::chrono::steady_clock::now();
  tree::CommandSpec patch = tree::Command({"patch", "-p1", "--forward", "--fuzz=0", "-i", fs::absolute(a.patch).string()});
  patch.cwd = linux;
  LP_TRY(Run(patch, work / "patch.log"));
  LP_TRY(Run(tree::BuildCommand(make), work / "make-patched.log"));
  if (UnitObjects(linux, a.dir) != objects)
    return lp::MakeError(lp::ErrorCode::kInternal, "the patched build has other units than the original");
  LP_TRY(CopyObjects(linux, objects, work / "patched"));
  std::printf("compiled %zu patched units in %.1f s\n", objects.size(), Since(t0));

  std::string list;
  for (const auto& o : objects) list += o.string() + "\n";
  LP_TRY(lp::WriteFileAtomic(work / "units", list));
  fs::remove_all(linux, ec);
  fs::rename(work, pairs, ec);
  if (ec) return lp::MakeError(lp::ErrorCode::kIo, "renaming " + work.string() + ": " + ec.message());
  return objects;
}

lp::Expected<std::vector<fs::path>> CachedPairs(const fs::path& pairs) {
  auto list = lp::ReadFile(pairs / "units", 1u << 20);
  if (!list) return list.error();
  std::vector<fs::path> objects;
  std::istringstream in(*list);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) objects.emplace_back(line);
  return objects;
}

struct RunResult {
  std::uintmax_t bytes = 0;
  double seconds = 0;
  double slowest = 0;
  fs::path slowest_object;
  int changed = 0, unchanged = 0, failed = 0;
  std::size_t changed_functions = 0, problems = 0;
  std::string first_error;
};

RunResult DiffAll(const fs::path& pairs, const std::vector<fs::path>& objects) {
  RunResult r;
  for (const auto& o : objects) {
    fs::path orig = pairs / "orig" / o, patched = pairs / "patched" / o;
    std::error_code ec;
    r.bytes += fs::file_size(orig, ec) + fs::file_size(patched, ec);
    auto t0 = std::chrono::steady_clock::now();
    auto result = lp::patchbuild::DiffFiles(orig, patched);
    double s = Since(t0);
    r.seconds += s;
    if (s > r.slowest) {
      r.slowest = s;
      r.slowest_object = o;
    }
    if (!result) {
      ++r.failed;
      if (r.first_error.empty()) r.first_error = o.string() + ": " + result.error().message;
      continue;
    }
    if (result->HasChanges()) {
      ++r.changed;
    } else {
      ++r.unchanged;
    }
    r.changed_functions += result->ChangedFunctions().size();
    r.problems += result->problems.size();
  }
  return r;
}

bool ParseArgs(int argc, char** argv, Args& a) {
  a.options.source = "/usr/src/linux-source-6.1.tar.xz";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--target") {
      a.options.target.release = value;
    } else if (flag == "--patch") {
      a.patch = value;
    } else if (flag == "--dir") {
      a.dir = fs::path(value).lexically_normal();
      if (a.dir.filename().empty()) a.dir = a.dir.parent_path();  // "fs/ext4/" -> fs/ext4
    } else if (flag == "--source") {
      a.options.source = value;
    } else if (flag == "--cache-dir") {
      a.options.cache_dir = value;
    } else if (flag == "--pairs-dir") {
      a.pairs_dir = value;
    } else if (flag == "--runs") {
      a.runs = std::max(1, std::atoi(value.c_str()));
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !a.patch.empty() && !a.options.target.release.empty();
}

int Fail(const lp::Error& e) {
  std::cerr << "patchbuild_diff_bench: error: " << e.message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, a)) {
    std::cerr << "usage: patchbuild_diff_bench --target RELEASE --patch P [--dir fs/ext4] [--runs N] "
                 "[--source SRC] [--cache-dir TREES] [--pairs-dir DIR]\n";
    return 1;
  }
  auto text = lp::ReadFile(a.patch, 16u << 20);
  if (!text) return Fail(text.error());
  if (a.pairs_dir.empty()) {
    std::string slug = a.dir.string();
    std::replace(slug.begin(), slug.end(), '/', '_');
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(*text));
    a.pairs_dir = fs::path(Env("FLEETPATCH_TEST_CACHE", "/var/tmp/fleetpatch-test-cache")) /
                  ("bench-diff-" + a.options.target.release + "-" + slug + "-" + hash + "-v" +
                   std::to_string(kPairsLayout));
  }
  std::error_code ec;
  auto objects = fs::exists(a.pairs_dir / "units", ec) ? CachedPairs(a.pairs_dir) : MakePairs(a, a.pairs_dir);
  if (!objects) return Fail(objects.error());
  std::printf("pairs: %zu objects of %s in %s\n", objects->size(), a.dir.c_str(), a.pairs_dir.c_str());

  std::vector<RunResult> runs;
  for (int i = 0; i < a.runs; ++i) {
    RunResult r = DiffAll(a.pairs_dir, *objects);
    std::printf("run %d: %zu pairs, %.1f MB, %.3f s, %.1f MB/s\n", i + 1, objects->size(), double(r.bytes) / 1e6,
                r.seconds, double(r.bytes) / 1e6 / r.seconds);
    runs.push_back(r);
  }
  std::sort(runs.begin(), runs.end(), [](const auto& x, const auto& y) { return x.seconds < y.seconds; });
  const RunResult& m = runs[runs.size() / 2];
  std::printf("median: %.1f MB in %.3f s = %.1f MB/s (%.1f ms per pair)\n", double(m.bytes) / 1e6, m.seconds,
              double(m.bytes) / 1e6 / m.seconds, 1e3 * m.seconds / double(objects->size()));
  std::printf("slowest pair: %s %.3f s\n", m.slowest_object.c_str(), m.slowest);
  std::printf("found: %d pairs changed (%zu changed/new functions, %zu problems), %d unchanged, %d errors\n",
              m.changed, m.changed_functions, m.problems, m.unchanged, m.failed);
  if (!m.first_error.empty()) std::printf("first error: %s\n", m.first_error.c_str());
  return m.failed ? 1 : 0;
}
