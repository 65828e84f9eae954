#include "patchbuild/symbols/shipped_compare.hpp"

#include <algorithm>
#include <cstdio>
#include <span>
#include <vector>

#include "patchbuild/symbols/capstone_handle.hpp"
#include "patchbuild/symbols/reloc_targets.hpp"
#include "patchbuild/symbols/text_arch.hpp"

namespace lp::patchbuild::symbols {
namespace {

using ByteSpan = std::span<const std::uint8_t>;

std::string HexBytes(ByteSpan bytes) {
  std::string out;
  char buf[4];
  for (std::uint8_t b : bytes) {
    std::snprintf(buf, sizeof(buf), out.empty() ? "%02x" : " %02x", b);
    out += buf;
  }
  return out;
}

// Walks the original instruction by instruction against the shipped bytes.
class Comparer {
 public:
  Comparer(const TextArch& arch, CapstoneHandle cs, CapstoneInsn original, CapstoneInsn shipped)
      : arch_(arch), cs_(std::move(cs)), orig_(std::move(original)), ship_(std::move(shipped)) {}

  ShippedComparison Run(const FunctionCode& code, ByteSpan shipped, std::uint64_t address) {
    ignored_ = IgnoredBytes(arch_, code);
    ShippedComparison result;
    result.mismatch = CheckFtraceSites(code, shipped);
    for (std::uint64_t off = 0; off < code.bytes.size() && !result.mismatch;) {
      std::uint64_t size = 0;
      result.mismatch = CompareAt(ByteSpan(code.bytes), shipped, address, off, &size);
      ++result.instructions;
      off += size;
    }
    return result;
  }

  const TextArch& arch() const { return arch_; }

  // After the original's end the shipped bytes must be filler up to the
  // next function boundary. Not up to the next symbol: the code of an
  // overridden __weak default (arch_report_meminfo at the start of
  // fs/proc/meminfo.o) stays in the image without a kallsyms name, right
  // after loadavg_proc_show.
  std::optional<ShippedMismatch> CheckTail(ByteSpan tail, std::uint64_t address, std::uint64_t at) {
    std::uint64_t end = address + at;
    std::uint64_t align = arch_.FunctionAlignment();
    std::uint64_t padding = std::min<std::uint64_t>(tail.size(), (align - end % align) % align);
    for (std::uint64_t off = 0; off < padding; off += ship_.get().size) {
      ByteSpan rest = tail.subspan(off, padding - off);
      bool decoded = ship_.Decode(cs_, rest, end + off);
      if (!decoded || !arch_.IsPadding(ship_.get())) {
        return ShippedMismatch{at + off, "(end of function)",
                               decoded ? Describe(ship_, rest) : HexBytes(rest.first(1)),
                               "shipped function continues past the original's end"};
      }
    }
    return std::nullopt;
  }

 private:
  std::string Describe(const CapstoneInsn& insn, ByteSpan bytes) const {
    std::size_t size = insn.get().size;
    return HexBytes(bytes.first(size)) + "  " + insn.Text();
  }

  std::optional<ShippedMismatch> CheckFtraceSites(const FunctionCode& code, ByteSpan shipped) {
    for (const RelocRange& reloc : code.relocs) {
      auto site = arch_.FtraceSite(reloc);
      if (!site || site->offset + site->size > shipped.size()) continue;
      ByteSpan form = shipped.subspan(site->offset, site->size);
      if (!arch_.IsFtraceSiteForm(form)) {
        return ShippedMismatch{site->offset, "call __fentry__", HexBytes(form),
                               "ftrace call site is neither the call nor a NOP"};
      }
    }
    return std::nullopt;
  }

  std::optional<ShippedMismatch> CompareAt(ByteSpan orig, ByteSpan shipped, std::uint64_t address,
                                           std::uint64_t off, std::uint64_t* size) {
    *size = 1;
    if (!orig_.Decode(cs_, orig.subspan(off), address + off)) {
      // Not code Capstone knows (data in text is rare in C functions):
      // compare the byte itself.
      if (ignored_[off] || orig[off] == shipped[off]) return std::nullopt;
      return ShippedMismatch{off, HexBytes(orig.subspan(off, 1)), HexBytes(shipped.subspan(off, 1)),
                             "undecodable byte differs"};
    }
    *size = orig_.get().size;
    std::string original = Describe(orig_, orig.subspan(off));
    ByteSpan ship_rest = shipped.subspan(off, orig.size() - off);
    if (!ship_.Decode(cs_, ship_rest, address + off)) {
      return ShippedMismatch{off, original, HexBytes(ship_rest.first(*size)),
                             "shipped bytes do not decode"};
    }
    if (ship_.get().size != *size) {
      return ShippedMismatch{off, original, Describe(ship_, ship_rest), "instruction lengths differ"};
    }
    for (std::uint64_t i = off; i < off + *size; ++i) {
      if (!ignored_[i] && orig[i] != shipped[i]) {
        return ShippedMismatch{off, original, Describe(ship_, ship_rest), "instructions differ"};
      }
    }
    return std::nullopt;
  }

  const TextArch& arch_;
  CapstoneHandle cs_;
  CapstoneInsn orig_;
  CapstoneInsn ship_;
  std::vector<bool> ignored_;
};

Expected<Comparer> MakeComparer(const VmlinuxImage& image) {
  const TextArch* arch = FindTextArch(image.machine());
  if (!arch) {
    return MakeError(ErrorCode::kUnsupported,
                     "no instruction decoder for ELF machine " + std::to_string(image.machine()));
  }
  auto cs = CapstoneHandle::Open(arch->CapstoneArch(), arch->CapstoneMode());
  if (!cs) return cs.error();
  auto original = CapstoneInsn::Allocate(*cs);
  if (!original) return original.error();
  auto shipped = CapstoneInsn::Allocate(*cs);
  if (!shipped) return shipped.error();
  return Comparer(*arch, std::move(*cs), std::move(*original), std::move(*shipped));
}

}  // namespace

std::string DescribeMismatch(std::string_view function, const ShippedMismatch& mismatch) {
  char offset[32];
  std::snprintf(offset, sizeof(offset), "+0x%llx",
                static_cast<unsigned long long>(mismatch.offset));
  return std::string(function) + offset + ": " + mismatch.reason + ": original `" +
         mismatch.original + "`, shipped `" + mismatch.shipped + "`";
}

Expected<ShippedComparison> CompareWithShipped(const VmlinuxImage& image, std::uint64_t address,
                                               const FunctionCode& original,
                                               std::optional<std::uint64_t> shipped_extent,
                                               const SymbolTable* table) {
  std::uint64_t size = original.bytes.size();
  if (size == 0) return MakeError(ErrorCode::kInvalidArgument, original.name + ": no code to compare");
  if (shipped_extent && *shipped_extent < size) {
    return ShippedComparison{0, ShippedMismatch{*shipped_extent, "(original continues)",
                                                "(next symbol)", "shipped function is shorter"}};
  }
  auto shipped = image.Read(address, shipped_extent.value_or(size));
  if (!shipped) return shipped.error().WithContext(original.name);
  auto comparer = MakeComparer(image);
  if (!comparer) return comparer.error();
  ShippedComparison result = comparer->Run(original, shipped->first(size), address);
  if (result.matches() && shipped_extent) {
    result.mismatch = comparer->CheckTail(shipped->subspan(size), address, size);
  }
  if (result.matches() && table) {
    result.mismatch =
        CheckRelocationTargets(comparer->arch(), *table, shipped->first(size), address, original);
  }
  return result;
}

}  // namespace lp::patchbuild::symbols
