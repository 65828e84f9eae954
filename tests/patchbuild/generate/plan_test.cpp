// The planner and writer on small objects compiled like kernel code
// (tests/patchbuild/diff/compile.hpp), against a hand-made symbol table of
// a pretend running kernel; the result is finalized like a .ko and read
// back as readelf would.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "patchbuild/diff/diff.hpp"
#include "patchbuild/generate/generate.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/generate/klp_finalize.hpp"
#include "patchbuild/generate/object_planner.hpp"
#include "patchbuild/generate/object_writer.hpp"
#include "tests/patchbuild/diff/compile.hpp"
#include "tests/patchbuild/symbols/synthetic_image.hpp"
#include "tests/patchbuild/generate/elf_view.hpp"

namespace lp::patchbuild::generate {
namespace {

const char* kOriginal = R"(
extern int exported_count;
extern int hidden_global;
extern int printk(const char *fmt, ...);
static int counter;
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter; }
int target(int x) { counter++; return helper(x) + hidden_global + exported_count; }
int other(void) { return helper(1); }
)";

const char* kPatched = R"(
extern int exported_count;
extern int hidden_global;
extern int printk(const char *fmt, ...);
static int counter;
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter; }
static __attribute__((noinline)) int added(int x) { return x * 7 + exported_count; }
int target(int x) { counter++; printk("patched %d\n", x); return helper(x) + hidden_global + added(x); }
int other(void) { return helper(1); }
)";

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override { Compile(patchbuild::testing::kKernelFlavour.flags); }
  void Compile(const std::string& flags) {
    auto orig_path = patchbuild::testing::CompileC(dir_, "orig", kOriginal, flags);
    auto patched_path = patchbuild::testing::CompileC(dir_, "patched", kPatched, flags);
    ASSERT_FALSE(orig_path.empty() || patched_path.empty());
    auto o = elf::ObjectFile::Open(orig_path);
    auto p = elf::ObjectFile::Open(patched_path);
    ASSERT_TRUE(o && p);
    original_ = std::move(*o);
    patched_ = std::move(*p);
    auto diff = DiffObjects(*original_, *patched_);
    ASSERT_TRUE(diff) << diff.error().message;
  }
  void AddKernelSymbol(const std::string& name, char type) {
    table_.Add(symbols::Symbol{name, 0xffffffff81000000ull + 0x100 * table_.size(), type, "vmlinux", 0});
  }
  void AddUsualKernel() {
    for (auto [name, type] : std::vector<std::pair<std::string, char>>{
             {"target", 'T'}, {"helper", 't'}, {"other", 'T'}, {"counter", 'b'}, {"hidden_global", 'D'},
             {"exported_count", 'D'}, {"printk", 'T'}, {"__fentry__", 'T'}})
      AddKernelSymbol(name, type);
  }
  Expected<ObjectPlan> Plan() {
    KernelSymbols kernel(table_, nullptr, {"exported_count", "printk", "__fentry__"}, "vmlinux", original_.get());
    return PlanObject(*patched_, kernel);
  }
  static std::vector<std::string> KlpSymbols(const ObjectPlan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.sections)
      for (const auto& [offset, e] : s.klp) out.push_back(e.symbol);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  lp::testing::TempDir dir_;
  std::unique_ptr<elf::ObjectFile> original_, patched_;
  symbols::SymbolTable table_;
};

TEST_F(PlanTest, ChangedFunctionIsRenamedAndReachesTheKernelThroughKlpRelocations) {
  AddUsualKernel();
  auto plan = Plan();
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->replaced.size(), 1u);
  EXPECT_EQ(plan->replaced[0].old_name, "target");
  EXPECT_EQ(plan->replaced[0].new_name, "livepatch_target");
  EXPECT_EQ(plan->new_functions, std::vector<std::string>{"added"});
  EXPECT_EQ(KlpSymbols(*plan), (std::vector<std::string>{".klp.sym.vmlinux.counter,0", ".klp.sym.vmlinux.helper,0",
                                                         ".klp.sym.vmlinux.hidden_global,0"}));
  std::vector<std::string> undefined;
  for (const auto& s : plan->symbols)
    if (!s.defined) undefined.push_back(s.name);
  std::sort(undefined.begin(), undefined.end());
  EXPECT_EQ(undefined, (std::vector<std::string>{"__fentry__", "exported_count", "printk"}));
  bool has_string = false;
  for (const auto& s : plan->sections)
    has_string |= std::string(s.bytes.begin(), s.bytes.end()).find("patched %d\n") != std::string::npos;
  EXPECT_TRUE(has_string);
}

TEST_F(PlanTest, WrittenAndFinalizedObjectHasLivepatchSectionsAndSymbols) {
  AddUsualKernel();
  auto plan = Plan();
  ASSERT_TRUE(plan) << plan.error().message;
  const auto out = dir_ / "gen.o";
  ASSERT_TRUE(WriteObject(*plan, out));
  auto before = testing::ReadElfView(out);
  ASSERT_NE(before.Section(std::string(kSideTableSection)), nullptr);
  EXPECT_EQ(before.Symbol("hidden_global"), nullptr);

  auto result = FinalizeKlpRelocations(out);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->klp_symbols, 3u);
  auto ko = testing::ReadElfView(out);
  EXPECT_EQ(ko.Section(std::string(kSideTableSection)), nullptr);
  const auto* klp = ko.Section(".klp.rela.vmlinux..text.livepatch_target");
  ASSERT_NE(klp, nullptr);
  EXPECT_EQ(klp->header.sh_flags, SHF_ALLOC | SHF_INFO_LINK | kShfRelaLivepatch);
  EXPECT_EQ(ko.sections.at(klp->header.sh_info).name, ".text.livepatch_target");
  EXPECT_EQ(klp->relocs.size(), result->klp_relocations);
  for (const auto& r : klp->relocs) {
    const auto* sym = ko.Symbol(r.symbol);
    ASSERT_NE(sym, nullptr);
    EXPECT_EQ(sym->sym.st_shndx, kShnLivepatch) << r.symbol;
  }
  // The copied code's ordinary relocations survived the rewrite.
  const auto* rela = ko.Section(".rela.text.livepatch_target");
  ASSERT_NE(rela, nullptr);
  EXPECT_TRUE(std::any_of(rela->relocs.begin(), rela->relocs.end(),
                          [](const auto& r) { return r.symbol == "printk"; }));
  EXPECT_TRUE(std::any_of(rela->relocs.begin(), rela->relocs.end(),
                          [](const auto& r) { return r.symbol == ".text.livepatch_added"; }));
  for (size_t i = 1; i < ko.symbols.size(); ++i)
    EXPECT_EQ(GELF_ST_BIND(ko.symbols[i].sym.st_info) == STB_LOCAL, i < ko.first_global) << ko.symbols[i].name;
}

TEST_F(PlanTest, OneGlobalAmongStaticsOfTheSameNameGetsItsPosition) {
  AddKernelSymbol("hidden_global", 'd');  // a static elsewhere, first in kallsyms order
  AddUsualKernel();
  auto plan = Plan();
  ASSERT_TRUE(plan) << plan.error().message;
  auto klp = KlpSymbols(*plan);
  EXPECT_NE(std::find(klp.begin(), klp.end(), ".klp.sym.vmlinux.hidden_global,2"), klp.end());
}

TEST_F(PlanTest, AmbiguousStaticIsAnErrorNotAGuess) {
  AddKernelSymbol("counter", 'b');
  AddUsualKernel();
  auto plan = Plan();
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("counter: 2 symbols of that name in vmlinux"), std::string::npos)
      << plan.error().message;
}

TEST_F(PlanTest, FunctionWithoutFtraceSiteIsRefused) {
  Compile("-fno-PIE -mcmodel=kernel");  // no -pg -mfentry: as a notrace function
  AddUsualKernel();
  auto plan = Plan();
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("target: no ftrace call at its start"), std::string::npos)
      << plan.error().message;
}

TEST(PlanPercpu, NewPerCpuVariableIsRefused) {
  lp::testing::TempDir dir;
  const std::string flags = patchbuild::testing::kKernelFlavour.flags;
  auto orig = patchbuild::testing::CompileC(dir, "orig", "int target(int x) { return x + 1; }\n", flags);
  auto patched = patchbuild::testing::CompileC(
      dir, "patched",
      "static int __attribute__((section(\".data..percpu\"))) hits;\n"
      "int target(int x) { return x + 1 + hits; }\n",
      flags);
  auto o = elf::ObjectFile::Open(orig);
  auto p = elf::ObjectFile::Open(patched);
  ASSERT_TRUE(o && p);
  ASSERT_TRUE(DiffObjects(**o, **p));
  symbols::SymbolTable table;
  table.Add(symbols::Symbol{"target", 0xffffffff81000000ull, 'T', "vmlinux", 0});
  KernelSymbols kernel(table, nullptr, {"__fentry__"}, "vmlinux", o->get());
  auto plan = PlanObject(**p, kernel);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("hits: new per-cpu variables are not supported"), std::string::npos)
      << plan.error().message;
}

// Plans `patched` against `orig` (kernel flavour) with a kernel that has
// every function of the original; the error when planning fails.
std::optional<Error> PlanError(const std::string& orig, const std::string& patched) {
  lp::testing::TempDir dir;
  const std::string flags = patchbuild::testing::kKernelFlavour.flags;
  auto o = elf::ObjectFile::Open(patchbuild::testing::CompileC(dir, "orig", orig, flags));
  auto p = elf::ObjectFile::Open(patchbuild::testing::CompileC(dir, "patched", patched, flags));
  if (!o || !p) return MakeError(ErrorCode::kIo, "test objects did not compile");
  auto diff = DiffObjects(**o, **p);
  if (!diff) return diff.error();
  symbols::SymbolTable table;
  for (const auto& sym : (*o)->symbols())
    if (sym->IsFunction() && sym->section)
      table.Add(symbols::Symbol{sym->name, 0xffffffff81000000ull + 0x100 * table.size(), 'T', "vmlinux", 0});
  KernelSymbols kernel(table, nullptr, {"__fentry__"}, "vmlinux", o->get());
  auto plan = PlanObject(**p, kernel);
  if (plan) return std::nullopt;
  return plan.error();
}

constexpr const char* kInitAndLive = R"(
extern int setup_value;
__attribute__((section(".init.text"), noinline)) int setup(void) { setup_value = 1; return 0; }
int live(int x) { return x + setup_value; }
)";

TEST(PlanRefusal, OnlyInitCodeChangedIsNothingToPatch) {
  std::string patched = kInitAndLive;
  patched.replace(patched.find("setup_value = 1"), 15, "setup_value = 2");
  auto err = PlanError(kInitAndLive, patched);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kNothingToDo);  // patchbuild build: exit 3
  EXPECT_NE(err->message.find("only __init/__exit code changed (setup)"), std::string::npos) << err->message;
}

TEST(PlanRefusal, InitCodeChangedNextToLiveCodeIsRefusedNamingTheSection) {
  std::string patched = kInitAndLive;
  patched.replace(patched.find("setup_value = 1"), 15, "setup_value = 2");
  patched.replace(patched.find("x + setup_value"), 15, "x - setup_value");
  auto err = PlanError(kInitAndLive, patched);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kUnsupported);  // exit 2
  EXPECT_NE(err->message.find("setup: changed in .init.text"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("post-patch callback"), std::string::npos) << err->message;
}

TEST(PlanRefusal, UnchangedObjectSaysThePatchChangesNoFunction) {
  auto err = PlanError(kInitAndLive, std::string(kInitAndLive) + "/* a comment */\n");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kNothingToDo);
  EXPECT_EQ(err->message, "the patch changes no function (nothing to patch)");
}

TEST(PlanRefusal, NoinstrFunctionIsRefusedNamingTheSection) {
  const std::string orig = R"(
__attribute__((section(".noinstr.text"), noinline)) int enter(int x) { return x + 1; }
__attribute__((section(".noinstr.text"), noinline)) int leave(int x) { return x + 2; }
)";
  std::string patched = orig;
  patched.replace(patched.find("x + 1"), 5, "x + 7");
  auto err = PlanError(orig, patched);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kUnsupported);
  EXPECT_NE(err->message.find("enter: in section .noinstr.text, which livepatch cannot redirect"),
            std::string::npos)
      << err->message;
}

TEST_F(PlanTest, SymbolMissingFromTheKernelIsAnError) {
  AddUsualKernel();
  symbols::SymbolTable empty;
  KernelSymbols kernel(empty, nullptr, {}, "vmlinux", original_.get());
  auto plan = PlanObject(*patched_, kernel);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("not in the target's symbol table"), std::string::npos) << plan.error().message;
}


namespace units {
namespace fs = std::filesystem;

// Two units compiled twice, as for a change in a header both include: `a`
// uses the changed inline, `b` includes it but does not use it.
constexpr const char* kHeader = "static inline int scaled(int x) { return x * 3; }\n";
constexpr const char* kHeaderFixed = "static inline int scaled(int x) { return x > 100 ? 100 : x * 3; }\n";
constexpr const char* kUsesIt = "int a_show(int x) { return scaled(x) + 1; }\n";
constexpr const char* kIgnoresIt = "int b_show(int x) { return x + 2; }\n";

struct Units {
  lp::testing::TempDir dir;
  std::vector<ObjectInput> inputs;
  symbols::SymbolTable table;
};

// One input pair per unit body; `header_changes` picks the fixed header.
void CompileUnits(Units& u, const std::vector<const char*>& bodies, bool header_changes) {
  const std::string flags = patchbuild::testing::kKernelFlavour.flags;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const std::string name = "unit" + std::to_string(i);
    auto orig = patchbuild::testing::CompileC(u.dir, name + "_orig", std::string(kHeader) + bodies[i], flags);
    auto patched = patchbuild::testing::CompileC(
        u.dir, name + "_patched", std::string(header_changes ? kHeaderFixed : kHeader) + bodies[i], flags);
    u.inputs.push_back(ObjectInput{orig, patched, "vmlinux"});
  }
  for (const char* fn : {"a_show", "b_show", "__fentry__"})
    u.table.Add(symbols::Symbol{fn, 0xffffffff81000000ull + 0x100 * u.table.size(), 'T', "vmlinux", 0});
}

Expected<GeneratedPatch> Generate(Units& u) {
  GenerateOptions options{"lp_units", u.dir.path() / "module", fs::path(LP_SOURCE_DIR) / "kmod/skeleton", "", true};
  return GenerateLivepatchSource(u.inputs, TargetSymbols{&u.table, nullptr, {"__fentry__"}}, options);
}

TEST(GenerateUnits, AUnitWhoseCodeDidNotChangeIsLeftOut) {
  Units u;
  CompileUnits(u, {kUsesIt, kIgnoresIt}, true);
  auto patch = Generate(u);
  ASSERT_TRUE(patch) << patch.error().message;
  ASSERT_EQ(patch->objects.size(), 1u);
  ASSERT_EQ(patch->objects[0].replaced.size(), 1u);
  EXPECT_EQ(patch->objects[0].replaced[0].old_name, "a_show");
  EXPECT_TRUE(fs::exists(u.dir.path() / "module" / "lp_units_patch0.o_shipped"));
  EXPECT_FALSE(fs::exists(u.dir.path() / "module" / "lp_units_patch1.o_shipped"));
}

TEST(GenerateUnits, NoUnitChangedIsNothingToPatch) {
  Units u;
  CompileUnits(u, {kUsesIt, kIgnoresIt}, false);
  auto patch = Generate(u);
  ASSERT_FALSE(patch);
  EXPECT_EQ(patch.error().code, ErrorCode::kNothingToDo);  // patchbuild build: exit 3
  EXPECT_NE(patch.error().message.find("no function in any of the 2 compiled units"), std::string::npos)
      << patch.error().message;
}

}  // namespace units


namespace rodata {

// Plans `patched` against `orig` with a kernel holding every function and
// object of the original, plus `extra` (name, type) symbols.
struct Planned {
  lp::testing::TempDir dir;
  std::unique_ptr<elf::ObjectFile> original, patched;
  symbols::SymbolTable table;
};

Expected<ObjectPlan> PlanWith(Planned& p, const std::string& orig, const std::string& patched,
                              const std::vector<std::pair<std::string, char>>& extra) {
  const std::string flags = patchbuild::testing::kKernelFlavour.flags;
  auto o = elf::ObjectFile::Open(patchbuild::testing::CompileC(p.dir, "orig", orig, flags));
  auto q = elf::ObjectFile::Open(patchbuild::testing::CompileC(p.dir, "patched", patched, flags));
  if (!o || !q) return MakeError(ErrorCode::kIo, "test objects did not compile");
  p.original = std::move(*o);
  p.patched = std::move(*q);
  auto diff = DiffObjects(*p.original, *p.patched);
  if (!diff) return diff.error();
  auto add = [&](const std::string& name, char type) {
    p.table.Add(symbols::Symbol{name, 0xffffffff81000000ull + 0x100 * p.table.size(), type, "vmlinux", 0});
  };
  for (const auto& sym : p.original->symbols())
    if ((sym->IsFunction() || sym->IsObject()) && sym->section) add(sym->name, sym->IsFunction() ? 't' : 'r');
  for (const auto& [name, type] : extra) add(name, type);
  KernelSymbols kernel(p.table, nullptr, {"__fentry__", "printk"}, "vmlinux", p.original.get());
  return PlanObject(*p.patched, kernel);
}

std::vector<std::string> KlpTargets(const ObjectPlan& plan) {
  std::vector<std::string> out;
  for (const auto& s : plan.sections)
    for (const auto& [offset, e] : s.klp) out.push_back(e.symbol);
  return out;
}

const PlannedSection* SectionNamed(const ObjectPlan& plan, const std::string& name) {
  for (const auto& s : plan.sections)
    if (s.name == name) return &s;
  return nullptr;
}

// A header inline's pr_debug makes a changed function name a __func__.N of
// its file; vmlinux has hundreds of that name. The bytes are the same, so
// the patch module carries its own copy instead of failing on the sympos.
TEST(PlanReadOnlyData, AmbiguousFileLocalStringIsCopied) {
  const std::string orig = R"(
extern int printk(const char *fmt, ...);
int target(int x) { printk("%s %d\n", __func__, x); return x; }
)";
  std::string patched = orig;
  patched.replace(patched.find("return x;"), 9, "return x + 1;");
  Planned p;
  auto plan = PlanWith(p, orig, patched, {{"__func__.0", 'r'}, {"__func__.0", 'r'}});
  ASSERT_TRUE(plan) << plan.error().message;
  for (const auto& t : KlpTargets(*plan)) EXPECT_EQ(t.find("__func__"), std::string::npos) << t;
  const PlannedSection* copied = SectionNamed(*plan, ".rodata.__func__.0");
  ASSERT_NE(copied, nullptr);
  EXPECT_EQ(std::string(copied->bytes.begin(), copied->bytes.end()), std::string("target\0", 7));
}

// Unique names stay the running kernel's (as con_flags.0 does).
TEST(PlanReadOnlyData, UniqueUnchangedTableStaysTheKernels) {
  const std::string orig = R"(
static const int limits[4] = {1, 2, 3, 5};
int target(int i) { return limits[i & 3]; }
)";
  std::string patched = orig;
  patched.replace(patched.find("limits[i & 3]"), 13, "limits[i & 3] + 1");
  Planned p;
  auto plan = PlanWith(p, orig, patched, {});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(KlpTargets(*plan), std::vector<std::string>{".klp.sym.vmlinux.limits,0"});
}

// A fix that edits a constant table: the patched code must read the new
// contents, not the running kernel's old ones.
TEST(PlanReadOnlyData, ChangedTableIsCopiedWithItsNewContents) {
  const std::string orig = R"(
static const int limits[4] = {1, 2, 3, 5};
int target(int i) { return limits[i & 3]; }
)";
  std::string patched = orig;
  patched.replace(patched.find("3, 5"), 4, "3, 9");
  Planned p;
  auto plan = PlanWith(p, orig, patched, {});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(KlpTargets(*plan).empty());
  const PlannedSection* copied = SectionNamed(*plan, ".rodata.limits");
  ASSERT_NE(copied, nullptr);
  ASSERT_EQ(copied->bytes.size(), 16u);
  EXPECT_EQ(copied->bytes[12], 9);
}

TEST(PlanReadOnlyData, ChangedTableOfPointersIsRefused) {
  const std::string orig = R"(
static __attribute__((noinline)) int one(void) { return 1; }
static __attribute__((noinline)) int two(void) { return 2; }
static int (*const ops[2])(void) = {one, two};
int target(int i) { return ops[i & 1](); }
)";
  std::string patched = orig;
  patched.replace(patched.find("{one, two}"), 10, "{two, one}");
  Planned p;
  auto plan = PlanWith(p, orig, patched, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("ops: changed read-only data with pointers"), std::string::npos)
      << plan.error().message;
}

}  // namespace rodata


// EXPORT_SYMBOL(target) leaves an entry pointing at target in
// ___ksymtab+target (as the kernel's PREL32 __KSYMTAB_ENTRY does): the
// running kernel's export stays, the patch does not carry it.
TEST(PlanExports, ExportTableEntryOfAChangedFunctionIsNotCarried) {
  const std::string orig = R"(
int target(int x) { return x + 1; }
__asm__(".section \"___ksymtab+target\", \"a\"\n__ksymtab_target:\n.long target - .\n.previous\n");
)";
  std::string patched = orig;
  patched.replace(patched.find("x + 1"), 5, "x + 2");
  rodata::Planned p;
  auto plan = rodata::PlanWith(p, orig, patched, {});
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->replaced.size(), 1u);
  for (const auto& s : plan->sections) EXPECT_EQ(s.name.find("ksymtab"), std::string::npos) << s.name;
}


// A static variable two files of the pretend vmlinux define: the shipped
// code of the original's function that uses it says which one (its PC32
// displacement, written here into a synthetic image, lands on the second).
TEST(DataSympos, StaticVariableOfManyFilesIsTheOneTheShippedCodeUses) {
  lp::testing::TempDir dir;
  auto path = patchbuild::testing::CompileC(dir, "orig", R"(
static int unrelated, state;
void set_state(int v) { state = v; }
int use_state(int x) { unrelated += x; return state; }
)",
                                            patchbuild::testing::kKernelFlavour.flags);
  auto obj = elf::ObjectFile::Open(path);
  ASSERT_TRUE(obj);
  const elf::Symbol* fn = (*obj)->FindSymbol("use_state");
  const elf::Symbol* var = (*obj)->FindSymbol("state");
  ASSERT_TRUE(fn && var && fn->section && var->section);

  constexpr uint64_t kUser = symbols::testing::kSyntheticBase;
  constexpr uint64_t kStateA = kUser + 0x200, kStateB = kUser + 0x300;
  std::vector<uint8_t> contents(0x400, 0);
  auto bytes = fn->Bytes();
  std::copy(bytes.begin(), bytes.end(), contents.begin());
  bool placed = false;
  for (const elf::Relocation& r : fn->section->RelocationsIn(fn->value, fn->value + fn->size)) {
    const bool to_var = r.symbol == var || (r.symbol->IsSectionSymbol() && r.symbol->section == var->section &&
                                            r.addend + 4 == static_cast<int64_t>(var->value));
    if (!to_var) continue;
    // S + A - P, S being where the relocation's symbol (state, or its section) is in the image.
    const uint64_t s_value = r.symbol == var ? kStateB : kStateB - var->value;
    const auto disp = static_cast<int32_t>(s_value + r.addend - (kUser + r.offset - fn->value));
    std::memcpy(contents.data() + (r.offset - fn->value), &disp, 4);
    placed = true;
  }
  ASSERT_TRUE(placed) << "use_state does not read state through a PC-relative relocation";
  const std::string file = symbols::testing::MakeElfImage(contents);
  auto image = symbols::VmlinuxImage::Open(file);
  ASSERT_TRUE(image) << image.error().message;
  symbols::SymbolTable table;
  table.Add(symbols::Symbol{"use_state", kUser, 'T', "vmlinux", 0});
  table.Add(symbols::Symbol{"set_state", kUser + 0x100, 'T', "vmlinux", 0});
  table.Add(symbols::Symbol{"state", kStateA, 'b', "vmlinux", 0});
  table.Add(symbols::Symbol{"state", kStateB, 'b', "vmlinux", 0});
  KernelSymbols kernel(table, &*image, {"__fentry__"}, "vmlinux", obj->get());
  auto sympos = kernel.Sympos("state", var);
  ASSERT_TRUE(sympos) << sympos.error().message;
  EXPECT_EQ(*sympos, 2u);

  KernelSymbols no_image(table, nullptr, {"__fentry__"}, "vmlinux", obj->get());
  EXPECT_FALSE(no_image.Sympos("state", var)) << "no guess without the shipped code";
}


// A new pr_debug's descriptor sits in __dyndbg next to the unit's existing
// ones: only it is copied (the others would be registered again under the
// patch module's name).
TEST(PlanDyndbg, OnlyTheNewDescriptorIsCopied) {
  const std::string orig = R"(
struct desc { const char *fmt; long flags; };
extern void printk(struct desc *d, int x);
static struct desc __attribute__((section("__dyndbg"), used, aligned(8))) old_desc = { "old %d\\n", 0 };
int other(int x) { printk(&old_desc, x); return x; }
int target(int x) { return x + 1; }
)";
  std::string patched = orig;
  patched.replace(patched.find("int target(int x) { return x + 1; }"), 35,
                  "static struct desc __attribute__((section(\"__dyndbg\"), used, aligned(8))) new_desc = "
                  "{ \"new %d\\n\", 0 };\n"
                  "int target(int x) { printk(&new_desc, x); return x + 1; }");
  rodata::Planned p;
  auto plan = rodata::PlanWith(p, orig, patched, {});
  ASSERT_TRUE(plan) << plan.error().message;
  std::vector<const PlannedSection*> dyndbg;
  for (const auto& s : plan->sections)
    if (s.name == "__dyndbg") dyndbg.push_back(&s);
  ASSERT_EQ(dyndbg.size(), 1u);
  EXPECT_EQ(dyndbg[0]->size, 16u) << "the old descriptor was copied too";
  ASSERT_EQ(dyndbg[0]->relocs.size(), 1u);
  EXPECT_EQ(dyndbg[0]->relocs[0].offset, 0u);
  const PlannedSection& str = plan->sections.at(dyndbg[0]->relocs[0].index);
  const std::string text(str.bytes.begin(), str.bytes.end());
  EXPECT_NE(text.find("new %d"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild::generate
