// The pass that refuses changes to interfaces the running kernel shares with
// code the patch does not replace: struct/union layouts (type_layouts.hpp)
// and the modversions CRCs of exported symbols (export_crcs.hpp). Both read
// beside the ELF graph: the objects' DWARF and kbuild's records.
#include "patchbuild/diff/diff_context.hpp"
#include "patchbuild/diff/export_crcs.hpp"
#include "patchbuild/diff/type_layouts.hpp"

namespace lp::patchbuild {
namespace {

void Append(std::vector<Problem>& to, std::vector<Problem> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

Status CheckInterfaces(DiffContext& ctx) {
  // Objects without DWARF (built without -g / CONFIG_DEBUG_INFO) cannot be
  // checked. The Debian target config has CONFIG_DEBUG_INFO=y, so every
  // object patchbuild build compiles has it.
  const auto orig_types = ReadTypeLayouts(ctx.orig.path());
  const auto patched_types = ReadTypeLayouts(ctx.patched.path());
  if (orig_types && patched_types) Append(ctx.problems, CompareTypeLayouts(*orig_types, *patched_types));
  // Only objects built by kbuild with CONFIG_MODVERSIONS that export
  // symbols have #SYMVER records; the others have nothing to compare.
  const auto orig_crcs = ReadObjectExportCrcs(ctx.orig.path());
  const auto patched_crcs = ReadObjectExportCrcs(ctx.patched.path());
  if (orig_crcs && patched_crcs) Append(ctx.problems, CompareExportCrcs(*orig_crcs, *patched_crcs));
  return Ok();
}

}  // namespace lp::patchbuild
