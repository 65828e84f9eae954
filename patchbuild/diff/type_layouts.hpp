// Struct and union layouts read from an object's DWARF, to refuse a patch
// that changes the layout of a type the running kernel already uses.
//
// Why: a livepatch replaces functions, not data. Every existing instance of
// `struct foo` in the running kernel (and every unchanged function that
// reads one, in this object or any other) keeps the old layout. A patched
// function compiled against a new member or a moved one would read and
// write the wrong bytes. Only the object's own DWARF says so reliably: the
// code of the changed functions alone may not show it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "patchbuild/diff/diff_result.hpp"

namespace lp::patchbuild {

struct TypeLayout {
  uint64_t byte_size = 0;
  // Per member, in declaration order: where it is, "byte_offset" or
  // "byte_offset:bit_offset/bits" for a bit-field ...
  std::vector<std::string> places;
  // ... and its name (anonymous members: empty). A renamed member in the
  // same place is no layout change; a member of one name in another place
  // (two members swapped) is.
  std::vector<std::string> names;
  bool SamePlaces(const TypeLayout& o) const;
};

// Key: "struct foo", "union bar", or "typedef baz_t" for a typedef naming an
// anonymous struct/union (`typedef struct { int counter; } atomic_t;`).
using TypeLayouts = std::map<std::string, TypeLayout>;

// The complete (non-declaration) named struct/union types at file scope of
// every compilation unit of `object`. nullopt when it has no DWARF.
std::optional<TypeLayouts> ReadTypeLayouts(const std::filesystem::path& object);

// One problem per type present in both whose layout differs; types only in
// one of them (new or no longer used here) are fine.
std::vector<Problem> CompareTypeLayouts(const TypeLayouts& original, const TypeLayouts& patched);

}  // namespace lp::patchbuild
