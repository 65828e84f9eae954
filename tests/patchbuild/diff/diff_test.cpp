// The diff stage on pairs of objects compiled by the test itself. Each case
// runs twice: plain -O2 (PIE, GOTPCRELX, lea rip-relative strings) and the
// kernel's flavour (-pg -mfentry -mcmodel=kernel: __fentry__ calls, 32S
// absolute references), since the relocation forms differ.
#include "patchbuild/diff/diff.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "patchbuild/diff/names.hpp"

#include "tests/patchbuild/diff/compile.hpp"

namespace lp::patchbuild {
namespace {

using testing::CompileC;
using testing::Flavour;

class DiffTest : public ::testing::TestWithParam<Flavour> {
 protected:
  // Compiles both sources and diffs them; fails the test on any error.
  DiffResult Diff(const std::string& orig_src, const std::string& patched_src) {
    const auto o = CompileC(dir_, "orig", orig_src, GetParam().flags);
    const auto p = CompileC(dir_, "patched", patched_src, GetParam().flags);
    if (o.empty() || p.empty()) return {};
    auto result = DiffFiles(o, p);
    if (!result) {
      ADD_FAILURE() << result.error().message;
      return {};
    }
    return std::move(*result);
  }

  static ChangeStatus StatusOf(const DiffResult& r, const std::string& fn) {
    const FunctionDiff* f = r.FindFunction(fn);
    EXPECT_NE(f, nullptr) << "no function " << fn;
    return f ? f->status : ChangeStatus::Same;
  }

  static std::vector<std::string> ChangedNames(const DiffResult& r) {
    std::vector<std::string> names;
    for (const FunctionDiff* f : r.ChangedFunctions()) names.push_back(f->name);
    return names;
  }

  lp::testing::TempDir dir_;
};

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr const char* kBase = R"(
extern int printk(const char *fmt, ...);
extern int ext_a(int);
extern int ext_b(int);
int limit = 10;
static __attribute__((noinline)) int clamp(int x) { return x > limit ? limit : x; }
int show(int a) {
  printk("show %d\n", a);
  return clamp(a) + 1;
}
int other(int a) { return ext_a(a) * 2; }
)";

TEST_P(DiffTest, IdenticalSourcesReportNothing) {
  const DiffResult r = Diff(kBase, kBase);
  EXPECT_FALSE(r.HasChanges());
  EXPECT_TRUE(r.ChangedFunctions().empty());
  EXPECT_TRUE(r.data.empty());
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(StatusOf(r, "show"), ChangeStatus::Same);
}

TEST_P(DiffTest, ChangedConstantIsFound) {
  std::string patched = kBase;
  patched.replace(patched.find("clamp(a) + 1"), 12, "clamp(a) + 2");
  const DiffResult r = Diff(kBase, patched);
  EXPECT_THAT(ChangedNames(r), ElementsAre("show"));
  EXPECT_EQ(StatusOf(r, "show"), ChangeStatus::Changed);
  EXPECT_EQ(StatusOf(r, "other"), ChangeStatus::Same);
  EXPECT_TRUE(r.IsReconcilable());
}

TEST_P(DiffTest, ChangedCallTargetIsFound) {
  std::string patched = kBase;
  patched.replace(patched.find("ext_a(a) * 2"), 12, "ext_b(a) * 2");
  const DiffResult r = Diff(kBase, patched);
  EXPECT_THAT(ChangedNames(r), ElementsAre("other"));
  const FunctionDiff* f = r.FindFunction("other");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->reason.find("ext_b"), std::string::npos) << f->reason;
  const auto refs = f->references;
  auto ext_b = std::find_if(refs.begin(), refs.end(), [](const SymbolRef& s) { return s.name == "ext_b"; });
  ASSERT_NE(ext_b, refs.end());
  EXPECT_EQ(ext_b->binding, Binding::Undefined);
}

TEST_P(DiffTest, NewFunctionIsFoundAndItsCallerChanged) {
  std::string patched = kBase;
  patched.replace(patched.find("int other(int a) { return ext_a(a) * 2; }"), 41,
                  "static __attribute__((noinline)) int twice(int a) { return ext_a(a) * 2 + limit; }\n"
                  "int other(int a) { return twice(a) - 1; }");
  const DiffResult r = Diff(kBase, patched);
  EXPECT_EQ(StatusOf(r, "twice"), ChangeStatus::New);
  EXPECT_EQ(StatusOf(r, "other"), ChangeStatus::Changed);
  EXPECT_EQ(StatusOf(r, "show"), ChangeStatus::Same);
  const FunctionDiff* other = r.FindFunction("other");
  ASSERT_NE(other, nullptr);
  auto twice = std::find_if(other->references.begin(), other->references.end(),
                            [](const SymbolRef& s) { return s.name == "twice"; });
  ASSERT_NE(twice, other->references.end());
  EXPECT_EQ(twice->binding, Binding::Local);
  EXPECT_EQ(twice->status, ChangeStatus::New);
  EXPECT_EQ(twice->kind, SymbolKind::Function);
}

// Which symbol does the first reference of `fn` to a `counter.N` name?
std::string CounterUsedBy(const elf::ObjectFile& obj, const std::string& fn) {
  const elf::Symbol* sym = obj.FindSymbol(fn);
  if (!sym) return "";
  for (const auto& r : sym->section->relocations) {
    const elf::Symbol* t = r.symbol->IsSectionSymbol() ? r.symbol->section->SymbolAt(0) : r.symbol;
    if (t && t->name.starts_with("counter.")) return t->name;
  }
  return "";
}

constexpr const char* kCounters = R"(
int f(int a) { static int counter; counter += a; return counter; }
int g(int a) { static int counter; counter += 2 * a; return counter; }
)";

constexpr const char* kCountersPatched = R"(
int f(int a) { static int calls; static int counter; calls++; counter += a; return counter + calls; }
int g(int a) { static int counter; counter += 2 * a; return counter; }
int k(int a) { static int counter; counter += 3 * a; return counter; }
)";

TEST_P(DiffTest, RenumberedStaticLocalIsCorrelatedNotNew) {
  const auto o = CompileC(dir_, "orig", kCounters, GetParam().flags);
  const auto p = CompileC(dir_, "patched", kCountersPatched, GetParam().flags);
  auto orig = elf::ObjectFile::Open(o);
  auto patched = elf::ObjectFile::Open(p);
  ASSERT_TRUE(orig && patched);
  // Precondition: gcc did renumber g's counter, or this test proves nothing.
  const std::string before = CounterUsedBy(**orig, "g");
  const std::string after = CounterUsedBy(**patched, "g");
  ASSERT_FALSE(before.empty());
  ASSERT_NE(before, after) << "gcc kept the numbering; the test needs a shift";

  auto r = DiffObjects(**orig, **patched);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(StatusOf(*r, "g"), ChangeStatus::Same);
  EXPECT_EQ(StatusOf(*r, "f"), ChangeStatus::Changed);
  EXPECT_EQ(StatusOf(*r, "k"), ChangeStatus::New);
  const elf::Symbol* g_counter = (*patched)->FindSymbol(after);
  ASSERT_NE(g_counter, nullptr);
  ASSERT_NE(g_counter->twin, nullptr);
  EXPECT_EQ(g_counter->twin->name, before);
  // New data: f's `calls` and k's counter; nothing else, nothing changed.
  std::vector<std::string> new_data;
  for (const auto& d : r->data) {
    EXPECT_EQ(d.status, ChangeStatus::New) << d.name;
    new_data.push_back(NormalizedName(d.name));
  }
  EXPECT_THAT(new_data, UnorderedElementsAre("calls", "counter"));
  EXPECT_TRUE(r->IsReconcilable());
}

TEST_P(DiffTest, FunctionAddedBeforeAnUnchangedOneDoesNotChangeIt) {
  const std::string patched = std::string("static int early_table[4] = {1, 2, 3, 4};\n"
                                          "int early(int i) { printk(\"early %d\\n\", early_table[i & 3]); "
                                          "return i; }\n") +
                              kBase;
  // printk must be declared before use: put the declaration first.
  const std::string src = "extern int printk(const char *fmt, ...);\n" + patched;
  const DiffResult r = Diff(kBase, src);
  EXPECT_THAT(ChangedNames(r), ElementsAre("early"));
  EXPECT_EQ(StatusOf(r, "show"), ChangeStatus::Same);
}

// Strings shared by the whole file land in one mergeable section when data
// sections are off (as in objects that some kernel Makefiles build without
// them): adding a literal before another moves it, which must not matter.
TEST_P(DiffTest, StringLiteralMovedInMergeableSectionIsNotAChange) {
  constexpr const char* kOrig = R"(
extern int printk(const char *fmt, ...);
extern void use(const char *);
int first(void) { printk("first\n"); return 1; }
int second(void) { printk("second %d\n", 2); return 2; }
)";
  constexpr const char* kPatched = R"(
extern int printk(const char *fmt, ...);
extern void use(const char *);
int first(void) { printk("first, with a much longer message\n"); printk("and another\n"); return 1; }
int second(void) { printk("second %d\n", 2); return 2; }
)";
  const auto o = CompileC(dir_, "orig", kOrig, std::string(GetParam().flags) + " -fno-data-sections");
  const auto p = CompileC(dir_, "patched", kPatched, std::string(GetParam().flags) + " -fno-data-sections");
  auto r = DiffFiles(o, p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_THAT(ChangedNames(*r), ElementsAre("first"));
  EXPECT_EQ(StatusOf(*r, "second"), ChangeStatus::Same);
}

TEST_P(DiffTest, StaticMovedInSharedBssIsNotAChange) {
  constexpr const char* kOrig = R"(
static int a_state;
int touch_a(int v) { a_state += v; return a_state; }
)";
  constexpr const char* kPatched = R"(
static int z_state[8];
int touch_z(int v) { z_state[v & 7]++; return z_state[0]; }
static int a_state;
int touch_a(int v) { a_state += v; return a_state; }
)";
  const auto o = CompileC(dir_, "orig", kOrig, std::string(GetParam().flags) + " -fno-data-sections");
  const auto p = CompileC(dir_, "patched", kPatched, std::string(GetParam().flags) + " -fno-data-sections");
  auto r = DiffFiles(o, p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(StatusOf(*r, "touch_a"), ChangeStatus::Same);
  EXPECT_EQ(StatusOf(*r, "touch_z"), ChangeStatus::New);
}

TEST_P(DiffTest, ChangedStringLiteralIsAChange) {
  std::string patched = kBase;
  patched.replace(patched.find("show %d\\n"), 9, "SHOW %d\\n");
  const DiffResult r = Diff(kBase, patched);
  EXPECT_THAT(ChangedNames(r), ElementsAre("show"));
  const FunctionDiff* f = r.FindFunction("show");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->reason.find("SHOW"), std::string::npos) << f->reason;
  auto lit = std::find_if(f->references.begin(), f->references.end(),
                          [](const SymbolRef& s) { return s.kind == SymbolKind::StringLiteral; });
  ASSERT_NE(lit, f->references.end());
  EXPECT_EQ(lit->literal, "SHOW %d\n");
}

TEST_P(DiffTest, ChangedGlobalInitialiserIsUnreconcilable) {
  std::string patched = kBase;
  patched.replace(patched.find("limit = 10"), 10, "limit = 12");
  const DiffResult r = Diff(kBase, patched);
  EXPECT_FALSE(r.IsReconcilable());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].symbol, "limit");
  EXPECT_TRUE(r.ChangedFunctions().empty());
}

TEST_P(DiffTest, ChangedConstTableChangesItsReaders) {
  constexpr const char* kOrig = R"(
static const int weights[4] = {1, 2, 3, 4};
int weigh(int i) { return weights[i & 3] * 10; }
int unrelated(int i) { return i + 5; }
)";
  std::string patched = kOrig;
  patched.replace(patched.find("{1, 2, 3, 4}"), 12, "{1, 2, 3, 5}");
  const DiffResult r = Diff(kOrig, patched);
  EXPECT_THAT(ChangedNames(r), ElementsAre("weigh"));
  ASSERT_EQ(r.data.size(), 1u);
  EXPECT_EQ(r.data[0].status, ChangeStatus::Changed);
  EXPECT_FALSE(r.data[0].writable);
  EXPECT_TRUE(r.IsReconcilable());
}

TEST_P(DiffTest, RemovedFunctionIsListed) {
  std::string patched = kBase;
  patched.erase(patched.find("int other"));
  const DiffResult r = Diff(kBase, patched);
  EXPECT_THAT(r.removed_functions, ElementsAre("other"));
}

TEST_P(DiffTest, ObjectsOfDifferentFilesDiffWithoutError) {
  // Nothing in common at all: every function is new, nothing crashes.
  const DiffResult r = Diff("int alpha(void) { return 1; }\n", "int beta(void) { return 2; }\n");
  EXPECT_EQ(StatusOf(r, "beta"), ChangeStatus::New);
  EXPECT_THAT(r.removed_functions, ElementsAre("alpha"));
}

// gcc moves the unlikely path of `check` into `check.cold` in
// .text.unlikely.check. Livepatch redirects only `check`'s entry, so a
// change confined to the cold part must still replace `check`.
TEST_P(DiffTest, ChangedColdPartChangesItsParent) {
  constexpr const char* kOrig = R"(
extern void __attribute__((cold, noreturn)) panic_now(const char *, ...);
int check(int *v, int n) {
  int sum = 0;
  for (int i = 0; i < n; i++) {
    if (__builtin_expect(v[i] < 0, 0))
      panic_now("check: bad value %d at %d\n", v[i], i);
    sum += v[i] * 3;
  }
  return sum;
}
)";
  std::string patched = kOrig;
  patched.replace(patched.find("bad value"), 9, "negative value");
  const DiffResult r = Diff(kOrig, patched);
  ASSERT_NE(r.FindFunction("check.cold"), nullptr) << "gcc did not split a cold part; test needs one";
  EXPECT_EQ(StatusOf(r, "check.cold"), ChangeStatus::Changed);
  EXPECT_EQ(StatusOf(r, "check"), ChangeStatus::Changed);
  EXPECT_NE(r.FindFunction("check")->reason.find("cold"), std::string::npos);
}

// gcc specialises `sum` into `sum.constprop.0.isra.0`; an unrelated change
// to its caller must neither report the clone as new nor as changed.
TEST_P(DiffTest, CompilerCloneIsCorrelated) {
  constexpr const char* kOrig = R"(
struct s { int a, b, c; };
static __attribute__((noinline)) int sum(struct s *p, int scale) { return (p->a + p->b) * scale; }
int api(struct s *p) { return sum(p, 3) + 1; }
int api2(struct s *p) { return sum(p, 3) + 2; }
)";
  std::string patched = kOrig;
  patched.replace(patched.find("+ 1; }"), 6, "+ 5; }");
  const DiffResult r = Diff(kOrig, patched);
  EXPECT_THAT(ChangedNames(r), ElementsAre("api"));
  const auto clone = std::find_if(r.functions.begin(), r.functions.end(),
                                  [](const FunctionDiff& f) { return f.name.starts_with("sum."); });
  ASSERT_NE(clone, r.functions.end()) << "gcc made no clone of sum; test needs one";
  EXPECT_EQ(clone->status, ChangeStatus::Same);
}

TEST_P(DiffTest, ChangedCompilerCloneIsFound) {
  constexpr const char* kOrig = R"(
struct s { int a, b, c; };
static __attribute__((noinline)) int sum(struct s *p, int scale) { return (p->a + p->b) * scale; }
int api(struct s *p) { return sum(p, 3) + 1; }
)";
  std::string patched = kOrig;
  patched.replace(patched.find("(p->a + p->b)"), 13, "(p->a - p->b)");
  const DiffResult r = Diff(kOrig, patched);
  const auto changed = ChangedNames(r);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_TRUE(changed[0].starts_with("sum.")) << changed[0];
  EXPECT_EQ(StatusOf(r, "api"), ChangeStatus::Same);
}

TEST_P(DiffTest, ChangedFunctionsGetTheirSourceLineFromDwarf) {
  std::string patched = kBase;
  patched.replace(patched.find("clamp(a) + 1"), 12, "clamp(a) + 2");
  const auto o = CompileC(dir_, "orig", kBase, std::string(GetParam().flags) + " -g");
  const auto p = CompileC(dir_, "patched", patched, std::string(GetParam().flags) + " -g");
  auto r = DiffFiles(o, p);
  ASSERT_TRUE(r) << r.error().message;
  const FunctionDiff* show = r->FindFunction("show");
  ASSERT_NE(show, nullptr);
  ASSERT_TRUE(show->source.has_value());
  EXPECT_TRUE(show->source->file.ends_with("patched.c")) << show->source->file;
  EXPECT_EQ(show->source->line, 7u);  // kBase starts with a newline: `int show` is line 7
  EXPECT_FALSE(r->FindFunction("other")->source.has_value());  // Same: not looked up
}

// Like kernel/fork.c's mm_init(): one function with several statics of one
// name (each spin_lock_init() brings its own lockdep `__key`). A new static
// of that name elsewhere renumbers them all; they must pair by the order the
// unchanged function references them, leaving it Same.
TEST_P(DiffTest, SeveralSameNamedStaticsInOneFunctionPairByOrder) {
  constexpr const char* kOrig = R"(
extern void init_lock(void *lock, const char *name, void *key);
#define INIT(l) do { static int __key; init_lock(&(l), #l, &__key); } while (0)
struct mm { int a, b, c; };
void mm_init(struct mm *mm) { INIT(mm->a); INIT(mm->b); INIT(mm->c); }
)";
  const std::string patched = std::string(kOrig) + "void late(struct mm *mm) { INIT(mm->a); }\n";
  const auto o = CompileC(dir_, "orig", kOrig, GetParam().flags);
  const auto p = CompileC(dir_, "patched", patched, GetParam().flags);
  auto orig = elf::ObjectFile::Open(o);
  auto patch = elf::ObjectFile::Open(p);
  ASSERT_TRUE(orig && patch);
  ASSERT_NE((*orig)->FindSymbol("__key.0"), nullptr);
  auto r = DiffObjects(**orig, **patch);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(StatusOf(*r, "mm_init"), ChangeStatus::Same) << r->FindFunction("mm_init")->reason;
  EXPECT_EQ(StatusOf(*r, "late"), ChangeStatus::New);
  ASSERT_EQ(r->data.size(), 1u);
  EXPECT_EQ(r->data[0].status, ChangeStatus::New);
  EXPECT_TRUE(r->warnings.empty()) << r->warnings[0];
}

INSTANTIATE_TEST_SUITE_P(Flavours, DiffTest, ::testing::Values(testing::kUserFlavour, testing::kKernelFlavour),
                         [](const ::testing::TestParamInfo<Flavour>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lp::patchbuild
