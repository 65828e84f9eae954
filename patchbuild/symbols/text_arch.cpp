#include "patchbuild/symbols/text_arch.hpp"

namespace lp::patchbuild::symbols {

std::vector<bool> IgnoredBytes(const TextArch& arch, const FunctionCode& code) {
  std::vector<bool> ignored(code.bytes.size(), false);
  auto mark = [&](std::uint64_t offset, std::uint64_t size) {
    for (std::uint64_t i = offset; i < offset + size && i < ignored.size(); ++i) ignored[i] = true;
  };
  for (const RelocRange& reloc : code.relocs) {
    mark(reloc.offset, reloc.size);
    if (auto site = arch.FtraceSite(reloc)) mark(site->offset, site->size);
  }
  return ignored;
}

}  // namespace lp::patchbuild::symbols
