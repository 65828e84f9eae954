// patchbuild_tree_bench: stage timings of the tree stage for one patch.
//   patchbuild_tree_bench --patch FIX.patch [--target R] [--source TARBALL]
//                         [--cache-dir DIR] [--out DIR]
// Prints prepare (or reuse), parse, each CompileTwice stage, the total, and
// the floor: the bare kbuild compile of the same objects twice.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "patchbuild/build/command.hpp"
#include "patchbuild/build/kernel_tree.hpp"
#include "patchbuild/build/twin_compile.hpp"

namespace tree = lp::patchbuild::tree;
namespace fs = std::filesystem;

namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Print(const std::string& stage, double seconds) { std::printf("%-24s %8.2f s\n", stage.c_str(), seconds); }

// Removes the objects and rebuilds them with one make, as a build would.
lp::Expected<double> BareCompile(const tree::PreparedTree& t, const std::vector<tree::ObjectPair>& pairs) {
  std::vector<std::string> goals;
  for (const auto& p : pairs) {
    fs::remove(t.source_dir / p.unit.object);
    goals.push_back(p.unit.object.string());
  }
  auto start = std::chrono::steady_clock::now();
  auto r = tree::RunCommand(tree::BuildCommand(t.MakeArgv(goals)));
  if (!r) return r.error();
  if (!r->ok()) return lp::MakeError(lp::ErrorCode::kInternal, "bare make failed");
  return Since(start);
}

int Fail(const lp::Error& e) {
  std::cerr << "patchbuild_tree_bench: error: " << e.message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args = {{"--source", "/usr/src/linux-source-6.1.tar.xz"},
                                             {"--out", "/tmp/patchbuild-tree-bench"}};
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (!args.count("--patch") || !args.count("--target")) {
    std::cerr << "usage: patchbuild_tree_bench --patch FIX.patch --target RELEASE [--source SRC] "
                 "[--cache-dir DIR] [--out DIR]\n";
    return 1;
  }
  tree::TreeOptions options;
  options.source = args["--source"];
  options.target.release = args["--target"];
  if (args.count("--cache-dir")) options.cache_dir = args["--cache-dir"];

  auto total_start = std::chrono::steady_clock::now();
  auto prepared = tree::PrepareTree(options);
  if (!prepared) return Fail(prepared.error());
  for (const auto& [stage, s] : prepared->times) Print("prepare/" + stage, s);
  Print(prepared->reused ? "prepare (reused)" : "prepare", Since(total_start));

  auto build_start = std::chrono::steady_clock::now();
  auto patch = tree::ParsePatch(args["--patch"]);
  if (!patch) return Fail(patch.error());
  Print("parse-patch", Since(build_start));
  auto result = tree::CompileTwice(*prepared, *patch, args["--out"]);
  if (!result) return Fail(result.error());
  for (const auto& [stage, s] : result->times) Print(stage, s);
  double build = Since(build_start);
  Print("build total", build);

  auto first = BareCompile(*prepared, result->pairs);
  if (!first) return Fail(first.error());
  auto second = BareCompile(*prepared, result->pairs);
  if (!second) return Fail(second.error());
  Print("floor (bare make x2)", *first + *second);
  std::printf("ratio build/floor       %8.2f\n", build / (*first + *second));
  return 0;
}
