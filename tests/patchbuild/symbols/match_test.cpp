// FindMatchingInstance and CompareWithShipped on a hand-made image, so the
// rules are tested without a kernel: masked relocations, the ftrace site in
// both its forms, ambiguity and mismatch reports.
#include <gtest/gtest.h>

#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/sympos.hpp"
#include "tests/patchbuild/symbols/synthetic_image.hpp"

namespace lp::patchbuild::symbols {
namespace {

using testing::kSyntheticBase;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kFirst = kSyntheticBase + 0x00;
constexpr std::uint64_t kSecond = kSyntheticBase + 0x20;
constexpr std::uint64_t kThird = kSyntheticBase + 0x40;
constexpr std::uint64_t kTwinA = kSyntheticBase + 0x60;
constexpr std::uint64_t kTwinB = kSyntheticBase + 0x80;
constexpr std::uint64_t kEnd = kSyntheticBase + 0xa0;

// call __fentry__; mov rax, [rip + X]; mov eax, IMM; ret  (18 bytes), as
// linked: relocation fields hold resolved values.
Bytes LinkedFunction(std::uint8_t imm, bool fentry_as_nop) {
  Bytes entry = fentry_as_nop ? Bytes{0x0f, 0x1f, 0x44, 0x00, 0x00} : Bytes{0xe8, 0x4b, 0x60, 0xc6, 0xff};
  Bytes code = entry;
  Bytes rest = {0x48, 0x8b, 0x05, 0x5b, 0x6a, 0xf0, 0x01, 0xb8, imm, 0x00, 0x00, 0x00, 0xc3};
  code.insert(code.end(), rest.begin(), rest.end());
  return code;
}

// The same function as the compiler leaves it in an object file.
FunctionCode ObjectFunction(std::uint8_t imm) {
  FunctionCode code;
  code.name = "c_start";
  code.bytes = {0xe8, 0, 0, 0, 0, 0x48, 0x8b, 0x05, 0, 0, 0, 0, 0xb8, imm, 0, 0, 0, 0xc3};
  code.relocs = {{1, 4, "__fentry__"}, {8, 4, "jiffies"}};
  return code;
}

void Put(Bytes* image, std::uint64_t address, const Bytes& code) {
  std::copy(code.begin(), code.end(), image->begin() + static_cast<long>(address - kSyntheticBase));
}

// Three c_start functions that differ in one immediate, a data symbol of the
// same name, and two identical twin functions. Gaps are int3, as the linker
// leaves them between files.
struct Fixture {
  Fixture() {
    Bytes contents(kEnd - kSyntheticBase, 0xcc);
    Put(&contents, kFirst, LinkedFunction(1, false));
    Put(&contents, kSecond, LinkedFunction(2, true));
    Put(&contents, kThird, LinkedFunction(3, false));
    Put(&contents, kTwinA, LinkedFunction(7, false));
    Put(&contents, kTwinB, LinkedFunction(7, false));
    file = testing::MakeElfImage(contents);
    image = *VmlinuxImage::Open(file);
    for (auto [name, address, type] : {std::tuple{"c_start", kFirst, 't'}, {"c_start", kSecond, 't'},
                                       {"c_start", kThird, 't'}, {"c_start", kEnd - 8, 'd'},
                                       {"twin", kTwinA, 't'}, {"twin", kTwinB, 't'}}) {
      table.Add(Symbol{name, address, type, "vmlinux", 0});
    }
  }
  std::string file;
  VmlinuxImage image;
  SymbolTable table;
};

TEST(FindMatchingInstance, PicksTheDuplicateWhoseCodeMatches) {
  Fixture f;
  auto address = FindMatchingInstance(f.table, f.image, "c_start", ObjectFunction(2));
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, kSecond);  // found although its ftrace site is a NOP
  EXPECT_EQ(*ComputeSympos(f.table, "vmlinux", "c_start", *address), 2u);
  EXPECT_EQ(*FindMatchingInstance(f.table, f.image, "c_start", ObjectFunction(3)), kThird);
}

TEST(FindMatchingInstance, NoMatchIsAnErrorNotAGuess) {
  Fixture f;
  auto address = FindMatchingInstance(f.table, f.image, "c_start", ObjectFunction(9));
  ASSERT_FALSE(address);
  EXPECT_EQ(address.error().code, ErrorCode::kVerification);
  EXPECT_NE(address.error().message.find("none of the 3 functions"), std::string::npos)
      << address.error().message;
}

TEST(FindMatchingInstance, IdenticalCandidatesAreAnAmbiguity) {
  Fixture f;
  FunctionCode twin = ObjectFunction(7);
  auto address = FindMatchingInstance(f.table, f.image, "twin", twin);
  ASSERT_FALSE(address);
  EXPECT_EQ(address.error().code, ErrorCode::kConflict);
}

TEST(FindMatchingInstance, UnmaskedRelocationBytesMustMatch) {
  Fixture f;
  FunctionCode code = ObjectFunction(2);
  code.relocs.pop_back();  // forget the jiffies relocation: its zeros now count
  EXPECT_FALSE(FindMatchingInstance(f.table, f.image, "c_start", code));
}

TEST(CompareWithShipped, MatchingFunctionPasses) {
  Fixture f;
  auto result = CompareWithShipped(f.image, kFirst, ObjectFunction(1), kSecond - kFirst);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->matches()) << DescribeMismatch("c_start", *result->mismatch);
  EXPECT_EQ(result->instructions, 4u);
  // The NOP form of the ftrace site is accepted too.
  EXPECT_TRUE(CompareWithShipped(f.image, kSecond, ObjectFunction(2))->matches());
}

TEST(CompareWithShipped, ReportsTheFirstDifferingInstruction) {
  Fixture f;
  auto result = CompareWithShipped(f.image, kFirst, ObjectFunction(5));
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_FALSE(result->matches());
  const ShippedMismatch& m = *result->mismatch;
  EXPECT_EQ(m.offset, 12u);
  EXPECT_EQ(m.reason, "instructions differ");
  EXPECT_EQ(m.original, "b8 05 00 00 00  mov eax, 5");
  EXPECT_EQ(m.shipped, "b8 01 00 00 00  mov eax, 1");
  EXPECT_EQ(DescribeMismatch("c_start", m),
            "c_start+0xc: instructions differ: original `b8 05 00 00 00  mov eax, 5`, "
            "shipped `b8 01 00 00 00  mov eax, 1`");
}

TEST(CompareWithShipped, FtraceSiteMustBeCallOrNop) {
  Bytes contents(0x20, 0xcc);
  Bytes code = LinkedFunction(1, false);
  std::fill(code.begin(), code.begin() + 5, 0x90);  // five 1-byte NOPs: not a form ftrace leaves
  Put(&contents, kSyntheticBase, code);
  std::string file = testing::MakeElfImage(contents);
  auto image = VmlinuxImage::Open(file);
  ASSERT_TRUE(image);
  auto result = CompareWithShipped(*image, kSyntheticBase, ObjectFunction(1));
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_FALSE(result->matches());
  EXPECT_EQ(result->mismatch->offset, 0u);
  EXPECT_NE(result->mismatch->reason.find("ftrace"), std::string::npos);
}

TEST(CompareWithShipped, ExtentCatchesShorterAndLongerShippedCode) {
  Fixture f;
  auto shorter = CompareWithShipped(f.image, kFirst, ObjectFunction(1), 10);
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->mismatch->reason, "shipped function is shorter");
  FunctionCode head = ObjectFunction(1);  // only the first two instructions
  head.bytes.resize(12);
  head.relocs = {{1, 4, "__fentry__"}, {8, 4, "jiffies"}};
  auto longer = CompareWithShipped(f.image, kFirst, head, kSecond - kFirst);
  ASSERT_TRUE(longer);
  ASSERT_FALSE(longer->matches());
  EXPECT_EQ(longer->mismatch->offset, 12u);
  EXPECT_EQ(longer->mismatch->reason, "shipped function continues past the original's end");
}

TEST(CompareWithShipped, NamelessCodeAfterThePaddingIsNotPartOfTheFunction) {
  // loadavg_proc_show is followed, after its padding, by the code of the
  // overridden __weak arch_report_meminfo, which has no kallsyms name: the
  // extent to the next symbol covers both.
  Bytes contents(0x40, 0xcc);
  Put(&contents, kSyntheticBase, LinkedFunction(1, false));
  Put(&contents, kSyntheticBase + 0x20, LinkedFunction(4, false));
  std::string file = testing::MakeElfImage(contents);
  auto image = VmlinuxImage::Open(file);
  ASSERT_TRUE(image);
  auto result = CompareWithShipped(*image, kSyntheticBase, ObjectFunction(1), 0x40);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->matches()) << DescribeMismatch("f", *result->mismatch);
}

TEST(CompareWithShipped, BadInputsAreErrors) {
  Fixture f;
  auto unmapped = CompareWithShipped(f.image, kSyntheticBase - 0x1000, ObjectFunction(1));
  ASSERT_FALSE(unmapped);
  EXPECT_EQ(unmapped.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(CompareWithShipped(f.image, kFirst, FunctionCode{}));
  std::string arm = testing::MakeElfImage(Bytes(0x20, 0), kSyntheticBase, EM_AARCH64);
  auto arm_image = VmlinuxImage::Open(arm);
  ASSERT_TRUE(arm_image);
  auto unsupported = CompareWithShipped(*arm_image, kSyntheticBase, ObjectFunction(1));
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().code, ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
