// Which translation units a patch touches, and what kbuild says about each
// once it has been built.
//
// - A .c file is its own unit: fs/proc/cmdline.c -> fs/proc/cmdline.o.
// - A header is in every unit whose kbuild dependency file (.<obj>.cmd,
//   the deps_<obj> list gcc -MMD wrote) names it. Only units already built in
//   the tree have such a file. So, before looking:
//     * a local header (fs/proc/internal.h: no "include" directory in its
//       path) gets the not-yet-built .c files of its own directory built
//       once (originals, make -k: files outside the config just fail), which
//       is where such headers' users are; those objects stay in the cached
//       tree for the next build;
//     * a global header (include/..., arch/x86/include/...) has hundreds or
//       thousands of users, too many to build speculatively: its users are
//       the units earlier builds compiled, plus CompileOptions::extra_units.
//       (Finding them all means building the whole kernel once: ~1-2 h on
//       two cores, which a cached tree could do in the background later.)
//   A header no built unit includes is an error rather than a silent no-op.
// - Assembly, Makefiles and Kconfig change more than C functions: refused.
// - Documentation and scripts do not change the kernel image: ignored.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/build/patch_set.hpp"

namespace lp::patchbuild::tree {

struct TranslationUnit {
  std::filesystem::path source;  // tree-relative, e.g. fs/proc/cmdline.c
  std::filesystem::path object;  // tree-relative, e.g. fs/proc/cmdline.o
  bool operator==(const TranslationUnit&) const = default;
};

// What kbuild recorded in .<obj>.cmd after building an object.
struct ObjectCmd {
  std::string command;                       // the full cmd_<obj> line (compiler + objtool)
  std::vector<std::filesystem::path> deps;   // source + headers, tree-relative
  // $(wildcard X) prerequisites: count only when X exists (config switch
  // files, the objtool binary).
  std::vector<std::filesystem::path> optional_deps;
  bool is_module = false;                    // compiled with -DMODULE (part of a .ko)
  std::string modname;                       // KBUILD_MODNAME, e.g. "proc", "ext4"
};

// kbuild's record of how `object` was built: <dir>/.<file>.o.cmd.
std::filesystem::path CmdFilePath(const std::filesystem::path& object);

// Parses the text of a .<obj>.cmd file written by kbuild for `object`.
Expected<ObjectCmd> ParseObjectCmd(const std::string& text, const std::filesystem::path& object);

// Reads <tree>/<dir>/.<file>.o.cmd.
Expected<ObjectCmd> ReadObjectCmd(const std::filesystem::path& tree, const std::filesystem::path& object);

// Units whose recorded dependencies include `header` (tree-relative).
Expected<std::vector<TranslationUnit>> UnitsIncludingHeader(const std::filesystem::path& tree,
                                                            const std::filesystem::path& header);

// The unbuilt .c files next to the local headers the series modifies (see
// above); empty when it modifies none.
std::vector<TranslationUnit> UnbuiltNeighboursOfLocalHeaders(const std::filesystem::path& tree,
                                                             const PatchSeries& patches);

// All units the patch touches (sorted, unique). Errors for refused file types,
// for deleted .c files and when nothing buildable is touched.
Expected<std::vector<TranslationUnit>> FindTouchedUnits(const std::filesystem::path& tree,
                                                        const PatchSeries& patches);

}  // namespace lp::patchbuild::tree
