// `patchbuild diff` as the CLI runs it: exit codes, human and JSON output,
// the side-by-side disassembly.
#include "patchbuild/diff/diff_main.hpp"

#include "patchbuild/diff/disasm.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/patchbuild/diff/compile.hpp"

namespace lp::patchbuild {
namespace {

using ::testing::HasSubstr;
using testing::CompileC;
using testing::kKernelFlavour;

constexpr const char* kOrig = R"(
extern int printk(const char *fmt, ...);
extern int ext_a(int);
int limit = 10;
int show(int a) { printk("show %d\n", a); return ext_a(a) + 1; }
int other(int a) { return a * 7; }
)";

class DiffMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    orig_ = CompileC(dir_, "orig", kOrig, kKernelFlavour.flags).string();
    ASSERT_FALSE(orig_.empty());
  }

  std::string Patched(const std::string& from, const std::string& to) {
    std::string src = kOrig;
    src.replace(src.find(from), from.size(), to);
    return CompileC(dir_, "patched", src, kKernelFlavour.flags).string();
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return DiffMain(args, out_, err_);
  }

  lp::testing::TempDir dir_;
  std::string orig_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(DiffMainTest, NoChangeExitsThree) {
  EXPECT_EQ(Run({orig_, orig_}), kDiffExitNoChange);
  EXPECT_THAT(out_.str(), HasSubstr("no changes"));
}

TEST_F(DiffMainTest, ChangeExitsZeroAndNamesTheFunction) {
  const std::string patched = Patched("ext_a(a) + 1", "ext_a(a) + 3");
  EXPECT_EQ(Run({orig_, patched}), kDiffExitChanged) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("changed"));
  EXPECT_THAT(out_.str(), HasSubstr("show"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("other")));
}

TEST_F(DiffMainTest, ChangedGlobalDataExitsTwo) {
  const std::string patched = Patched("limit = 10", "limit = 11");
  EXPECT_EQ(Run({orig_, patched}), kDiffExitUnreconcilable);
  EXPECT_THAT(out_.str(), HasSubstr("cannot patch: limit"));
}

TEST_F(DiffMainTest, JsonListsFunctionsAndReferences) {
  const std::string patched = Patched("ext_a(a) + 1", "ext_a(a) + 3");
  ASSERT_EQ(Run({orig_, patched, "--json"}), kDiffExitChanged) << err_.str();
  const auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["functions"].size(), 1u);
  const auto& f = j["functions"][0];
  EXPECT_EQ(f["name"], "show");
  EXPECT_EQ(f["status"], "changed");
  EXPECT_EQ(f["section"], ".text.show");
  EXPECT_GT(f["size"].get<int>(), 0);
  bool saw_printk = false;
  bool saw_literal = false;
  for (const auto& r : f["references"]) {
    if (r["name"] == "printk") saw_printk = r["binding"] == "undefined";
    if (r["kind"] == "string") saw_literal = r["literal"] == "show %d\n";
  }
  EXPECT_TRUE(saw_printk) << f.dump(2);
  EXPECT_TRUE(saw_literal) << f.dump(2);
  EXPECT_TRUE(j["reconcilable"].get<bool>());
}

TEST_F(DiffMainTest, DisasmShowsBothSidesWithRelocationTargets) {
  const std::string patched = Patched("ext_a(a) + 1", "ext_a(a) + 3");
  ASSERT_EQ(Run({orig_, patched, "--disasm"}), kDiffExitChanged) << err_.str();
  const std::string text = out_.str();
  EXPECT_THAT(text, HasSubstr("== show =="));
  EXPECT_THAT(text, HasSubstr("original"));
  EXPECT_THAT(text, HasSubstr("call"));
  EXPECT_THAT(text, HasSubstr("; ext_a"));
  EXPECT_THAT(text, HasSubstr("; __fentry__"));
  EXPECT_THAT(text, HasSubstr("\"show %d\\n\""));  // the literal, not just .rodata+off
  EXPECT_THAT(text, HasSubstr(" | "));            // the differing add is marked
}

TEST_F(DiffMainTest, JsonWithDisasmCarriesListings) {
  const std::string patched = Patched("ext_a(a) + 1", "ext_a(a) + 3");
  ASSERT_EQ(Run({orig_, patched, "--json", "--disasm"}), kDiffExitChanged);
  const auto j = nlohmann::json::parse(out_.str());
  ASSERT_TRUE(j["disasm"].contains("show"));
  EXPECT_FALSE(j["disasm"]["show"]["original"].empty());
  EXPECT_FALSE(j["disasm"]["show"]["patched"].empty());
}

TEST_F(DiffMainTest, BadUsageExitsOne) {
  EXPECT_EQ(Run({orig_}), kDiffExitError);
  EXPECT_THAT(err_.str(), HasSubstr("usage"));
  EXPECT_EQ(Run({orig_, orig_, "--frobnicate"}), kDiffExitError);
  EXPECT_THAT(err_.str(), HasSubstr("--frobnicate"));
}

TEST_F(DiffMainTest, UnreadableObjectExitsOneWithAClearLine) {
  std::ofstream(dir_ / "junk.o") << "junk";
  EXPECT_EQ(Run({orig_, (dir_ / "junk.o").string()}), kDiffExitError);
  EXPECT_THAT(err_.str(), HasSubstr("junk.o"));
  const std::string junk_err = err_.str();
  EXPECT_EQ(std::count(junk_err.begin(), junk_err.end(), '\n'), 1) << junk_err;
  EXPECT_EQ(Run({(dir_ / "missing.o").string(), orig_}), kDiffExitError);
  EXPECT_THAT(err_.str(), HasSubstr("missing.o"));
}

TEST(AlignListings, InsertedInstructionIsOneUnpairedRow) {
  const std::vector<std::string> left = {"    0: push    rbp", "    1: mov     eax, 1", "    6: ret     "};
  const std::vector<std::string> right = {"    0: push    rbp", "    1: nop     ", "    2: mov     eax, 1",
                                          "    7: ret     "};
  const auto rows = AlignListings(left, right);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], std::make_pair(0, 0));
  EXPECT_EQ(rows[1], std::make_pair(-1, 1));
  EXPECT_EQ(rows[2], std::make_pair(1, 2));
  EXPECT_EQ(rows[3], std::make_pair(2, 3));
  const std::string text = SideBySide("a", left, "b", right, 30);
  EXPECT_THAT(text, HasSubstr(" > "));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(" | ")));
}

}  // namespace
}  // namespace lp::patchbuild
