// What the generated livepatch object holds, as plain values: decided from
// the diff-annotated patched object (ObjectPlanner), written by
// WriteObject (object_writer.hpp). Keeping the two apart lets tests check
// the decisions without parsing ELF.
//
// The rules (issue 3, "Generate"), with fs/proc/cmdline.c as the example:
// - Each New or Changed function is copied under a new name:
//   cmdline_proc_show -> livepatch_cmdline_proc_show, in
//   .text.livepatch_cmdline_proc_show. Changed ones become klp_funcs.
// - A relocation to a copied function stays local (a call from one changed
//   function to another, or to a new helper, runs the patch's copy).
// - String literals and other anonymous read-only data the copied code uses
//   (.rodata.cmdline_proc_show.str1.1 for " fleetpatch=cmdline\n") are
//   copied along, as are new variables.
// - Everything else is the running kernel's: an exported symbol (seq_puts,
//   __fentry__) stays an undefined symbol; anything else (saved_command_line,
//   a static function or variable of the file, a `static int count` inside a
//   function) becomes a livepatch relocation, never a second copy of the data.
// - Special sections that describe copied code are filtered entry by entry
//   and copied: __mcount_loc, ORC, return/retpoline sites, __bug_table,
//   __jump_table, __ex_table, .altinstructions, .static_call_sites. Any
//   other allocated section that points into copied code is refused.
// - Callbacks: a New function a .fleetpatch.callbacks.<kind> section points
//   at is copied like any new function but kept global, and named in the
//   plan's callbacks; those sections themselves are not copied.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "patchbuild/generate/klp_side_table.hpp"

namespace lp::patchbuild::generate {

struct PlannedReloc {
  enum class Target { kSection, kSymbol };
  uint64_t offset = 0;
  uint32_t type = 0;
  int64_t addend = 0;
  Target target = Target::kSection;
  size_t index = 0;  // into ObjectPlan::sections or ObjectPlan::symbols
};

struct PlannedSection {
  std::string name;
  uint32_t type = 0;        // SHT_PROGBITS or SHT_NOBITS
  uint64_t flags = 0;
  uint64_t align = 1;
  uint64_t entsize = 0;
  std::vector<uint8_t> bytes;  // empty for NOBITS
  uint64_t size = 0;
  std::vector<PlannedReloc> relocs;
  bool special = false;  // a filtered kernel table (__jump_table ...), special_sections.hpp
  // Places that become livepatch relocations after kbuild (side table).
  std::vector<std::pair<uint64_t, KlpRelocEntry>> klp;
};

struct PlannedSymbol {
  std::string name;
  uint8_t type = 0;   // STT_FUNC, STT_OBJECT, STT_NOTYPE
  uint8_t bind = 0;   // STB_LOCAL / STB_GLOBAL
  bool defined = false;
  size_t section = 0;  // into ObjectPlan::sections when defined
  uint64_t value = 0;
  uint64_t size = 0;
};

// One klp_func: the running kernel's function and its replacement.
struct ReplacedFunction {
  std::string old_name;  // "cmdline_proc_show" (kallsyms name)
  std::string new_name;  // "livepatch_cmdline_proc_show" (global in the object)
  uint32_t sympos = 0;
};

// A klp_callbacks member of the object: a function of the patch named with
// FLEETPATCH_PRE_PATCH(fn) & co. (kmod/include/fleetpatch/livepatch.h), which
// leave a pointer to it in .fleetpatch.callbacks.<kind>.
struct PlannedCallback {
  std::string kind;      // "pre_patch", "post_patch", "pre_unpatch" or "post_unpatch"
  std::string function;  // its copy in the object (global): livepatch_<fn>
};

struct ObjectPlan {
  uint16_t machine = 0;
  std::string object;  // klp object: "vmlinux" or a module name
  std::vector<PlannedSection> sections;
  std::vector<PlannedSymbol> symbols;
  std::vector<ReplacedFunction> replaced;
  std::vector<std::string> new_functions;  // names of copied New functions
  std::vector<PlannedCallback> callbacks;   // at most one of each kind
  size_t KlpRelocCount() const;
};

// "livepatch_" + the name with characters C does not allow in an identifier
// replaced by '_' (foo.isra.0 -> livepatch_foo_isra_0).
std::string ReplacementName(const std::string& name);

}  // namespace lp::patchbuild::generate
