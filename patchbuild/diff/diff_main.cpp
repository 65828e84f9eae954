#include "patchbuild/diff/diff_main.hpp"

#include "patchbuild/diff/diff.hpp"
#include "patchbuild/diff/disasm.hpp"
#include "patchbuild/diff/report.hpp"

namespace lp::patchbuild {
namespace {

constexpr const char* kUsage =
    "usage: patchbuild diff ORIG.o PATCHED.o [--disasm] [--json]\n"
    "  Compares two builds of one kernel object (-ffunction-sections -fdata-sections)\n"
    "  and lists the changed and new functions and data.\n"
    "  --disasm  side-by-side disassembly of each changed function\n"
    "  --json    machine-readable output\n"
    "exit status: 0 changes found, 1 error, 2 changes a livepatch cannot carry, 3 no change\n";

struct DiffArgs {
  std::string original;
  std::string patched;
  bool disasm = false;
  bool json = false;
  bool help = false;
};

Expected<DiffArgs> ParseArgs(const std::vector<std::string>& args) {
  DiffArgs parsed;
  std::vector<std::string> positional;
  for (const auto& a : args) {
    if (a == "--disasm") {
      parsed.disasm = true;
    } else if (a == "--json") {
      parsed.json = true;
    } else if (a == "-h" || a == "--help") {
      parsed.help = true;
    } else if (a.starts_with("-") && a != "-") {
      return MakeError(ErrorCode::kInvalidArgument, "unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (parsed.help) return parsed;
  if (positional.size() != 2) {
    return MakeError(ErrorCode::kInvalidArgument, "expected ORIG.o and PATCHED.o, got " +
                                                      std::to_string(positional.size()) + " file arguments");
  }
  parsed.original = positional[0];
  parsed.patched = positional[1];
  return parsed;
}

struct Listing {
  std::string function;
  std::vector<std::string> original;
  std::vector<std::string> patched;
};

// Disassembles every changed or new function of `result`, using the twin
// pointers DiffObjects left in the two graphs.
Expected<std::vector<Listing>> Listings(const elf::ObjectFile& orig, const elf::ObjectFile& patched,
                                        const DiffResult& result) {
  auto disasm = elf::Disassembler::Open(patched.arch());
  if (!disasm) return disasm.error();
  TargetResolver orig_targets(orig, *disasm);
  TargetResolver patched_targets(patched, *disasm);
  std::vector<Listing> out;
  for (const FunctionDiff* f : result.ChangedFunctions()) {
    const elf::Symbol* sym = patched.FindSymbol(f->name);
    if (!sym) continue;
    Listing l{f->name, {}, DisassembleFunction(*sym, *disasm, patched_targets)};
    if (sym->twin) l.original = DisassembleFunction(*sym->twin, *disasm, orig_targets);
    out.push_back(std::move(l));
  }
  return out;
}

int ExitStatusOf(const DiffResult& result) {
  if (!result.IsReconcilable()) return kDiffExitUnreconcilable;
  return result.HasChanges() ? kDiffExitChanged : kDiffExitNoChange;
}

void PrintListings(const std::vector<Listing>& listings, std::ostream& out) {
  for (const auto& l : listings) {
    out << "\n== " << l.function << " ==\n";
    out << SideBySide("original", l.original, "patched", l.patched, 72);
  }
}

nlohmann::json ListingsToJson(const std::vector<Listing>& listings) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : listings) j[l.function] = {{"original", l.original}, {"patched", l.patched}};
  return j;
}

}  // namespace

int DiffMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto parsed = ParseArgs(args);
  if (!parsed) {
    err << "patchbuild diff: " << parsed.error().message << "\n" << kUsage;
    return kDiffExitError;
  }
  if (parsed->help) {
    out << kUsage;
    return kDiffExitChanged;
  }
  auto orig = elf::ObjectFile::Open(parsed->original);
  if (!orig) {
    err << "patchbuild diff: " << orig.error().message << "\n";
    return kDiffExitError;
  }
  auto patched = elf::ObjectFile::Open(parsed->patched);
  if (!patched) {
    err << "patchbuild diff: " << patched.error().message << "\n";
    return kDiffExitError;
  }
  auto result = DiffObjects(**orig, **patched);
  if (!result) {
    err << "patchbuild diff: " << result.error().message << "\n";
    return kDiffExitError;
  }
  std::vector<Listing> listings;
  if (parsed->disasm) {
    auto l = Listings(**orig, **patched, *result);
    if (!l) {
      err << "patchbuild diff: " << l.error().message << "\n";
      return kDiffExitError;
    }
    listings = std::move(*l);
  }
  if (parsed->json) {
    nlohmann::json j = DiffResultToJson(*result);
    if (parsed->disasm) j["disasm"] = ListingsToJson(listings);
    out << j.dump(2) << "\n";
  } else {
    PrintDiffReport(*result, out);
    PrintListings(listings, out);
  }
  return ExitStatusOf(*result);
}

}  // namespace lp::patchbuild
