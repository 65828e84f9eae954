// The diff stage's product: plain values (no pointers into either
// ObjectFile), so it can outlive the objects, be printed, turned into JSON,
// or handed to the generate stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "patchbuild/elf/object_file.hpp"

namespace lp::patchbuild {

// New / Changed / Same, as set on the ELF graph by the compare passes.
using ChangeStatus = elf::Status;


// Where a referenced symbol lives, which decides how generate must reach it:
// Undefined -> an ordinary undefined symbol (exported) or a klp relocation;
// Local/Global defined here -> copied along if New/Changed, otherwise a klp
// relocation to the running kernel's copy (found by name + sympos).
enum class Binding { Local, Global, Undefined };
const char* BindingName(Binding b);

enum class SymbolKind { Function, Object, StringLiteral, Section, Other };
const char* SymbolKindName(SymbolKind k);

// One symbol that a changed or new function refers to through relocations.
struct SymbolRef {
  std::string name;          // symbol name in the patched object, or the section for literals
  SymbolKind kind = SymbolKind::Other;
  Binding binding = Binding::Undefined;
  // Status of the referenced symbol itself (Same for undefined symbols).
  ChangeStatus status = ChangeStatus::Same;
  // For string literals: the referenced text (so generate can re-emit it).
  std::optional<std::string> literal;
};

struct SourceLocation {
  std::string file;
  uint32_t line = 0;
};

struct FunctionDiff {
  std::string name;           // in the patched object (original's for Same)
  std::string original_name;  // twin's name when it differs ("foo.isra.0" -> "foo.isra.1")
  ChangeStatus status = ChangeStatus::Same;
  std::string section;        // ".text.foo"
  uint64_t size = 0;
  uint64_t original_size = 0;  // 0 when New
  bool global = false;
  std::string reason;          // why Changed: "code differs at +0x12" ...
  std::vector<SymbolRef> references;  // filled for New and Changed
  std::optional<SourceLocation> source;  // from DWARF, when the object has it
};

struct DataDiff {
  std::string name;
  ChangeStatus status = ChangeStatus::Same;
  std::string section;
  uint64_t size = 0;
  uint64_t original_size = 0;
  bool global = false;
  bool writable = false;
  std::string reason;
};

// Something the patch changes that a livepatch cannot carry, e.g. a global
// variable's initialiser (the running kernel keeps its live value) or the size
// of a data object. Any of these makes `patchbuild diff` exit 2.
struct Problem {
  std::string symbol;
  std::string reason;
};

struct DiffResult {
  std::string original_path;
  std::string patched_path;
  std::string arch;
  // Every function of the patched object, plus nothing for removed ones (see
  // removed_functions). Sorted by name.
  std::vector<FunctionDiff> functions;
  // Data objects that are New or Changed (Same ones are not listed).
  std::vector<DataDiff> data;
  std::vector<std::string> removed_functions;
  std::vector<Problem> problems;
  std::vector<std::string> warnings;

  bool HasChanges() const;
  bool IsReconcilable() const { return problems.empty(); }
  // Functions whose status is New or Changed.
  std::vector<const FunctionDiff*> ChangedFunctions() const;
  const FunctionDiff* FindFunction(const std::string& name) const;
};

}  // namespace lp::patchbuild
