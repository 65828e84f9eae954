// The diff pipeline. Each pass lives in its own file; this one only fixes
// their order, as objtool's klp diff and kpatch's create-diff-object do.
#include "patchbuild/diff/diff.hpp"

#include "patchbuild/diff/diff_context.hpp"
#include "patchbuild/diff/source_lines.hpp"

namespace lp::patchbuild {

Expected<DiffResult> DiffObjects(elf::ObjectFile& original, elf::ObjectFile& patched) {
  if (original.arch().Machine() != patched.arch().Machine()) {
    return MakeError(ErrorCode::kInvalidArgument, "objects are for different architectures (" +
                                                      std::string(original.arch().Name()) + " vs " +
                                                      std::string(patched.arch().Name()) + ")");
  }
  auto disasm = elf::Disassembler::Open(patched.arch());
  if (!disasm) return disasm.error();
  DiffContext ctx(original, patched, *disasm);
  LP_TRY(CorrelateSymbols(ctx));
  LP_TRY(CorrelateSections(ctx));
  LP_TRY(CompareFunctions(ctx));
  LP_TRY(CompareData(ctx));
  LP_TRY(PropagateChanges(ctx));
  LP_TRY(CheckInterfaces(ctx));
  DiffResult result = BuildResult(ctx);
  AddSourceLocations(patched.path(), result);
  return result;
}

Expected<DiffResult> DiffFiles(const std::filesystem::path& original, const std::filesystem::path& patched) {
  auto orig = elf::ObjectFile::Open(original);
  if (!orig) return orig.error();
  auto patch = elf::ObjectFile::Open(patched);
  if (!patch) return patch.error();
  return DiffObjects(**orig, **patch);
}

}  // namespace lp::patchbuild
