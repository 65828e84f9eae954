// Changes the diff must refuse (problems, exit 2), each with its reason and
// remedy, and changes that only look like changes (a shifted __LINE__).
// Objects are compiled like kernel code (compile.hpp, kernel flavour).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "patchbuild/diff/diff.hpp"
#include "patchbuild/diff/export_crcs.hpp"
#include "patchbuild/diff/type_layouts.hpp"
#include "tests/patchbuild/diff/compile.hpp"

namespace lp::patchbuild {
namespace {

using ::testing::HasSubstr;
using testing::CompileC;

class RefusalTest : public ::testing::Test {
 protected:
  // Compiles both sources (kernel flavour + `flags`) and diffs them.
  DiffResult Diff(const std::string& orig_src, const std::string& patched_src, const std::string& flags = "") {
    const std::string all = std::string(testing::kKernelFlavour.flags) + " " + flags;
    orig_ = CompileC(dir_, "orig", orig_src, all);
    patched_ = CompileC(dir_, "patched", patched_src, all);
    if (orig_.empty() || patched_.empty()) return {};
    return DiffAgain();
  }
  DiffResult DiffAgain() {
    auto result = DiffFiles(orig_, patched_);
    if (!result) {
      ADD_FAILURE() << result.error().message;
      return {};
    }
    return std::move(*result);
  }
  void WriteFile(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  static std::string Replace(std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  }
  static const Problem* FindProblem(const DiffResult& r, const std::string& symbol) {
    for (const auto& p : r.problems)
      if (p.symbol == symbol) return &p;
    return nullptr;
  }

  lp::testing::TempDir dir_;
  std::filesystem::path orig_, patched_;
};

// --- 1. initial values of existing data -----------------------------------

constexpr const char* kData = R"(
int limit = 10;
int read_limit(void) { static int calls = 1; return limit + calls++; }
)";

TEST_F(RefusalTest, ChangedGlobalInitialValueIsRefusedWithTheRemedy) {
  const DiffResult r = Diff(kData, Replace(kData, "limit = 10", "limit = 20"));
  const Problem* p = FindProblem(r, "limit");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->reason, HasSubstr("changes the initial value of existing data"));
  EXPECT_THAT(p->reason, HasSubstr("shadow variable or a pre-patch callback"));
}

TEST_F(RefusalTest, ChangedStaticLocalInitialValueIsRefused) {
  const DiffResult r = Diff(kData, Replace(kData, "calls = 1", "calls = 2"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_TRUE(r.problems[0].symbol.starts_with("calls.")) << r.problems[0].symbol;
  EXPECT_THAT(r.problems[0].reason, HasSubstr("shadow variable"));
}

// --- 2. struct layouts ----------------------------------------------------

// A header change adding a member to a struct that an unchanged function
// (get_b) reads: its offset of `b` is the running kernel's.
constexpr const char* kStructUser = R"(
#include "shared.h"
int get_b(struct shared *s) { return s->b; }
int touch(struct shared *s) { return s->a + 1; }
)";

TEST_F(RefusalTest, StructLayoutChangedByAHeaderIsRefusedNamingTheType) {
  WriteFile(dir_ / "o/shared.h", "struct shared { int a; int b; };\n");
  WriteFile(dir_ / "p/shared.h", "struct shared { int a; int added; int b; };\n");
  orig_ = CompileC(dir_, "orig", kStructUser,
                   std::string(testing::kKernelFlavour.flags) + " -g -I" + (dir_ / "o").string());
  patched_ = CompileC(dir_, "patched", kStructUser,
                      std::string(testing::kKernelFlavour.flags) + " -g -I" + (dir_ / "p").string());
  const DiffResult r = DiffAgain();
  const Problem* p = FindProblem(r, "struct shared");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->reason, HasSubstr("layout"));
  EXPECT_THAT(p->reason, HasSubstr("size 8 -> 12 bytes"));
  EXPECT_FALSE(r.IsReconcilable());
}

TEST_F(RefusalTest, MovedMemberOfTypedefedAnonymousStructIsRefused) {
  const char* orig = "typedef struct { long x; int y; } pair_t;\nint get_y(pair_t *p) { return p->y; }\n";
  const char* patched = "typedef struct { int y; long x; } pair_t;\nint get_y(pair_t *p) { return p->y; }\n";
  const DiffResult r = Diff(orig, patched, "-g");
  const Problem* p = FindProblem(r, "typedef pair_t");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->reason, HasSubstr("member x@0 -> y@0"));
}

TEST_F(RefusalTest, NewStructAndUnchangedLayoutsAreFine) {
  const char* orig = "struct keep { int a; };\nint get(struct keep *k) { return k->a; }\n";
  const char* patched =
      "struct keep { int a; };\nstruct fresh { long z; };\n"
      "int get(struct keep *k) { struct fresh f = {k->a}; return (int)f.z + 1; }\n";
  const DiffResult r = Diff(orig, patched, "-g");
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].symbol << ": " << r.problems[0].reason;
  EXPECT_EQ(r.ChangedFunctions().size(), 1u);
}

TEST_F(RefusalTest, TypeLayoutsAreReadFromDwarf) {
  const auto o = CompileC(dir_, "types", "struct s { char c; int bits : 3; long l; } g;\n", "-g");
  auto layouts = ReadTypeLayouts(o);
  ASSERT_TRUE(layouts);
  ASSERT_EQ(layouts->count("struct s"), 1u);
  EXPECT_EQ(layouts->at("struct s").byte_size, 16u);
  EXPECT_THAT(layouts->at("struct s").places, ::testing::ElementsAre("0", "0:8/3", "8"));
  EXPECT_THAT(layouts->at("struct s").names, ::testing::ElementsAre("c", "bits", "l"));
}

TEST_F(RefusalTest, RenamedMemberInTheSamePlaceIsNoLayoutChange) {
  const char* orig = "struct r { int a; int b; };\nint get(struct r *p) { return p->b; }\n";
  const char* patched = "struct r { int a; int bee; };\nint get(struct r *p) { return p->bee; }\n";
  EXPECT_TRUE(Diff(orig, patched, "-g").problems.empty());
}

// --- 4. modversions CRCs --------------------------------------------------

constexpr const char* kExporter = "int api(int x) { return x + 1; }\n";

TEST_F(RefusalTest, ChangedExportCrcIsRefusedNamingTheSymbol) {
  const DiffResult same = Diff(kExporter, Replace(kExporter, "x + 1", "x + 2"));
  ASSERT_TRUE(same.problems.empty());  // no kbuild records: nothing to compare
  // What kbuild's gen_symversions appends to each object's record.
  WriteFile(KbuildRecordOf(orig_), "savedcmd_x := gcc ...\n#SYMVER api 0x1a2b3c4d\n#SYMVER other 0x00000001\n");
  WriteFile(KbuildRecordOf(patched_), "savedcmd_x := gcc ...\n#SYMVER api 0x5e6f7a8b\n#SYMVER other 0x00000001\n");
  const DiffResult r = DiffAgain();
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].symbol, "api");
  EXPECT_THAT(r.problems[0].reason, HasSubstr("modversions CRC"));
  EXPECT_THAT(r.problems[0].reason, HasSubstr("0x1a2b3c4d -> 0x5e6f7a8b"));
  EXPECT_THAT(r.problems[0].reason, HasSubstr("prototype"));
}

TEST_F(RefusalTest, EqualExportCrcsAreFine) {
  Diff(kExporter, Replace(kExporter, "x + 1", "x + 2"));
  WriteFile(KbuildRecordOf(orig_), "#SYMVER api 0x1a2b3c4d\n");
  WriteFile(KbuildRecordOf(patched_), "#SYMVER api 0x1a2b3c4d\n");
  EXPECT_TRUE(DiffAgain().problems.empty());
}

TEST(ExportCrcs, ModuleSymversIsComparedWithEitherSide) {
  lp::testing::TempDir dir;
  const auto symvers = dir / "Module.symvers";
  std::ofstream(symvers) << "0x1a2b3c4d\tapi\tvmlinux\tEXPORT_SYMBOL\t\n0x00000007\tmod_api\tfs/x\tEXPORT_SYMBOL_GPL\tNS\n";
  auto target = ReadModuleSymversCrcs(symvers);
  ASSERT_TRUE(target) << target.error().message;
  EXPECT_EQ(target->at("mod_api"), 7u);
  EXPECT_TRUE(CompareWithTargetCrcs({{"api", 0x1a2b3c4d}}, *target, "original").empty());
  auto problems = CompareWithTargetCrcs({{"api", 0x1a2b3c4e}}, *target, "original");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].reason, HasSubstr("not the target's source or configuration"));
  problems = CompareWithTargetCrcs({{"api", 0x1a2b3c4e}}, *target, "patched");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].reason, HasSubstr("changes its interface"));
  std::ofstream(symvers) << "garbage\n";
  EXPECT_FALSE(ReadModuleSymversCrcs(symvers));
}

TEST(ExportCrcs, OriginalObjectsMustRecordTheTargetsCrcs) {
  lp::testing::TempDir dir;
  const auto symvers = dir / "Module.symvers";
  std::ofstream(symvers) << "0x1a2b3c4d\tapi\tvmlinux\tEXPORT_SYMBOL\t\n";
  const auto object = dir / "lib/x.orig.o";
  std::filesystem::create_directories(object.parent_path());
  std::ofstream(object) << "not read";
  EXPECT_TRUE(CheckOriginalCrcsAgainstTarget({object}, symvers));  // no record: nothing to compare
  std::ofstream(KbuildRecordOf(object)) << "#SYMVER api 0x1a2b3c4d\n";
  EXPECT_TRUE(CheckOriginalCrcsAgainstTarget({object}, symvers));
  std::ofstream(KbuildRecordOf(object)) << "#SYMVER api 0x0badc0de\n";
  auto status = CheckOriginalCrcsAgainstTarget({object}, symvers);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kVerification);
  EXPECT_THAT(status.error().message, HasSubstr("lib/x.orig.o: api:"));
  EXPECT_THAT(status.error().message, HasSubstr("not the target's source or configuration"));
}

// --- 6. line numbers only -------------------------------------------------

// arch/x86/include/asm/bug.h (6.1, DEBUG_BUGVERBOSE): ud2 plus a 12-byte
// __bug_table entry {bug_addr - ., file - ., u16 line, u16 flags}. Both
// builds of a kernel file have one __FILE__: #line gives them that here.
constexpr const char* kWarn = R"(#line 1 "kernel/warn.c"
#define WARN_ON_LINE(cond) do { if (cond) asm volatile("1: .byte 0x0f, 0x0b\n" \
    ".pushsection __bug_table,\"aw\"\n2: .long 1b - .\n .long %c0 - .\n .word %c1\n .word %c2\n" \
    ".org 2b+%c3\n.popsection" : : "i" (__FILE__), "i" (__LINE__), "i" (1), "i" (12)); } while (0)
extern void __might_sleep(const char *file, int line);
extern void report_value(const char *file, int line);
/*MARK*/
int checked(int x) { WARN_ON_LINE(x > 100); return x * 2; }
int sleeper(int x) { __might_sleep(__FILE__, __LINE__); return x + 3; }
int reporter(int x) { report_value(__FILE__, __LINE__); return x + 4; }
)";

TEST_F(RefusalTest, ShiftedWarnEntryOrLineArgumentIsNotAChange) {
  const std::string shifted = Replace(kWarn, "/*MARK*/", "\n\n\n");
  const DiffResult r = Diff(kWarn, shifted);
  ASSERT_NE(r.FindFunction("checked"), nullptr);
  EXPECT_EQ(r.FindFunction("checked")->status, ChangeStatus::Same);
  EXPECT_EQ(r.FindFunction("sleeper")->status, ChangeStatus::Same) << r.FindFunction("sleeper")->reason;
  // report_value is not known to take a line: its argument is a real change.
  EXPECT_EQ(r.FindFunction("reporter")->status, ChangeStatus::Changed);
  EXPECT_TRUE(r.problems.empty());
}

TEST_F(RefusalTest, OtherChangeNextToALineArgumentIsStillAChange) {
  std::string patched = Replace(kWarn, "/*MARK*/", "\n\n\n");
  patched = Replace(patched, "x + 3", "x + 5");
  const DiffResult r = Diff(kWarn, patched);
  EXPECT_EQ(r.FindFunction("sleeper")->status, ChangeStatus::Changed);
}

// include/linux/dynamic_debug.h: a pr_debug() descriptor in __dyndbg.
constexpr const char* kDyndbg = R"(#line 1 "kernel/dyndbg.c"
struct _ddebug { const char *modname, *function, *filename, *format;
  unsigned int lineno:18; unsigned int class_id:6; unsigned int flags:8; } __attribute__((aligned(8)));
extern void __dynamic_pr_debug(struct _ddebug *d, const char *fmt, ...);
/*MARK*/
int traced(int x) {
  static struct _ddebug __attribute__((used, section("__dyndbg"))) desc = {
      "mod", "traced", "file.c", "x=%d\n", __LINE__, 63, 0};
  __dynamic_pr_debug(&desc, "x=%d\n", x);
  return x;
}
)";

TEST_F(RefusalTest, ShiftedDynamicDebugLineIsNotAChange) {
  const DiffResult r = Diff(kDyndbg, Replace(kDyndbg, "/*MARK*/", "\n\n"));
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].symbol << ": " << r.problems[0].reason;
  EXPECT_FALSE(r.HasChanges());
}

TEST_F(RefusalTest, ChangedDynamicDebugFlagsAreStillAChange) {
  const DiffResult r = Diff(kDyndbg, Replace(kDyndbg, "63, 0}", "63, 1}"));
  EXPECT_FALSE(r.problems.empty());
}

}  // namespace
}  // namespace lp::patchbuild
