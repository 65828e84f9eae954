// State shared by the diff passes (internal to patchbuild/diff).
//
// The passes run in a fixed order (see diff.cpp), each reading what the
// previous ones wrote: correlate sets twin pointers, compare sets Status on
// the patched object's symbols, propagate adjusts it, and the result pass
// copies everything into a DiffResult of plain values.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/diff/diff_result.hpp"
#include "patchbuild/diff/reloc_target.hpp"
#include "patchbuild/elf/disassembler.hpp"
#include "patchbuild/elf/object_file.hpp"

namespace lp::patchbuild {

// Which functions reference each symbol (through any relocation form,
// including section symbols). Keys and values point into one ObjectFile.
using UsersMap = std::unordered_map<const elf::Symbol*, std::vector<elf::Symbol*>>;

struct DiffContext {
  // Both objects and the disassembler outlive the context (owned by the
  // caller of RunDiffPasses).
  DiffContext(elf::ObjectFile& o, elf::ObjectFile& p, const elf::Disassembler& d)
      : orig(o), patched(p), disasm(d), orig_targets(o, d), patched_targets(p, d) {}

  elf::ObjectFile& orig;
  elf::ObjectFile& patched;
  const elf::Disassembler& disasm;
  TargetResolver orig_targets;
  TargetResolver patched_targets;

  UsersMap orig_users;
  UsersMap patched_users;
  // The reverse: what each function or object references, in relocation
  // order, each target once.
  UsersMap orig_refs;
  UsersMap patched_refs;

  // Why a patched symbol is Changed, for reports.
  std::map<const elf::Symbol*, std::string> reasons;
  std::vector<Problem> problems;
  std::vector<std::string> warnings;
};

// The passes, in pipeline order. Each returns an Error only for a failure of
// patchbuild itself or an unusable object; an unpatchable *change* is
// recorded in ctx.problems so the report can list all of them at once.
Status CorrelateSymbols(DiffContext& ctx);    // correlate.cpp
Status CorrelateSections(DiffContext& ctx);   // correlate_sections.cpp
Status CompareFunctions(DiffContext& ctx);    // compare.cpp
Status CompareData(DiffContext& ctx);         // compare.cpp
Status PropagateChanges(DiffContext& ctx);    // propagate.cpp
Status CheckInterfaces(DiffContext& ctx);     // interface_checks.cpp
DiffResult BuildResult(DiffContext& ctx);     // result.cpp

// Helpers shared by passes.
// True when paired symbols of equal size and equal references differ only
// in a baked-in source line number (line_numbers.cpp).
bool OnlyLineNumbersDiffer(const DiffContext& ctx, const elf::Symbol& o, const elf::Symbol& p);
void BuildReferenceMaps(const elf::ObjectFile& obj, TargetResolver& targets, UsersMap& users,
                        UsersMap& refs);  // correlate.cpp

}  // namespace lp::patchbuild
