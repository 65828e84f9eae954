// Relocation targets and neighbours: what tells apart duplicates whose
// masked bytes are equal. Modelled on Debian 6.1's two c_stop functions
// (fs/proc/consoles.c: jmp console_unlock; arch/x86/kernel/cpu/proc.c:
// jmp __x86_return_thunk) and on a header's static inline emitted out of
// line by two files.
#include <gtest/gtest.h>

#include <cstring>

#include "patchbuild/symbols/reloc_targets.hpp"
#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/sympos.hpp"
#include "tests/patchbuild/symbols/synthetic_image.hpp"

namespace lp::patchbuild::symbols {
namespace {

using testing::kSyntheticBase;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kCpuStop = kSyntheticBase + 0x00;     // jmp return_thunk
constexpr std::uint64_t kConsoleStop = kSyntheticBase + 0x10;  // jmp console_unlock
constexpr std::uint64_t kReturnThunk = kSyntheticBase + 0x20;
constexpr std::uint64_t kConsoleUnlock = kSyntheticBase + 0x30;
constexpr std::uint64_t kInlineA = kSyntheticBase + 0x40;      // neighbours: smaps_*
constexpr std::uint64_t kInlineB = kSyntheticBase + 0x60;      // neighbours: other file
constexpr std::uint64_t kEnd = kSyntheticBase + 0x80;

// jmp rel32 to target, linked at address.
Bytes JmpTo(std::uint64_t address, std::uint64_t target) {
  auto rel = static_cast<std::int32_t>(static_cast<std::int64_t>(target - (address + 5)));
  Bytes code = {0xe9, 0, 0, 0, 0};
  std::memcpy(code.data() + 1, &rel, 4);
  return code;
}

void Put(Bytes* image, std::uint64_t address, const Bytes& code) {
  std::copy(code.begin(), code.end(), image->begin() + static_cast<long>(address - kSyntheticBase));
}

FunctionCode ObjectJmp(std::string name, std::string target) {
  FunctionCode code;
  code.name = std::move(name);
  code.bytes = {0xe9, 0, 0, 0, 0};
  code.relocs = {{1, 4, std::move(target), RelocKind::kPcRelative, -4}};
  return code;
}

struct Fixture {
  Fixture() {
    Bytes contents(kEnd - kSyntheticBase, 0xcc);
    Put(&contents, kCpuStop, JmpTo(kCpuStop, kReturnThunk));
    Put(&contents, kConsoleStop, JmpTo(kConsoleStop, kConsoleUnlock));
    Put(&contents, kReturnThunk, {0xc3});
    Put(&contents, kConsoleUnlock, {0xc3});
    Put(&contents, kInlineA, JmpTo(kInlineA, kConsoleUnlock));
    Put(&contents, kInlineB, JmpTo(kInlineB, kConsoleUnlock));
    file = testing::MakeElfImage(contents);
    image = *VmlinuxImage::Open(file);
    struct Entry { const char* name; std::uint64_t address; };
    for (Entry e : {Entry{"c_stop", kCpuStop}, {"c_stop", kConsoleStop}, {"__x86_return_thunk", kReturnThunk},
                    {"console_unlock", kConsoleUnlock}, {"smaps_account", kInlineA - 8},
                    {"pfn_to_page_inline", kInlineA}, {"smaps_page_accumulate", kInlineA + 0x10},
                    {"other_file_fn", kInlineB - 8}, {"pfn_to_page_inline", kInlineB},
                    {"other_file_fn2", kInlineB + 0x10}}) {
      table.Add(Symbol{e.name, e.address, 't', "vmlinux", 0});
    }
  }
  std::string file;
  VmlinuxImage image;
  SymbolTable table;
};

TEST(RelocationTargets, TellApartDuplicatesThatDifferOnlyInTheirCallee) {
  Fixture f;
  auto consoles = FindMatchingInstance(f.table, f.image, "c_stop", ObjectJmp("c_stop", "console_unlock"));
  ASSERT_TRUE(consoles) << consoles.error().message;
  EXPECT_EQ(*consoles, kConsoleStop);
  EXPECT_EQ(*ComputeSympos(f.table, "vmlinux", "c_stop", *consoles), 2u);
  auto cpu = FindMatchingInstance(f.table, f.image, "c_stop", ObjectJmp("c_stop", "__x86_return_thunk"));
  ASSERT_TRUE(cpu) << cpu.error().message;
  EXPECT_EQ(*cpu, kCpuStop);
}

TEST(RelocationTargets, WithoutKindTheyAreOnlyMasked) {
  Fixture f;
  FunctionCode code = ObjectJmp("c_stop", "console_unlock");
  code.relocs[0].kind = RelocKind::kUnknown;
  auto address = FindMatchingInstance(f.table, f.image, "c_stop", code);
  ASSERT_FALSE(address);
  EXPECT_EQ(address.error().code, ErrorCode::kConflict);
}

TEST(RelocationTargets, CompareWithShippedNamesBothTargets) {
  Fixture f;
  auto result = CompareWithShipped(f.image, kCpuStop, ObjectJmp("c_stop", "console_unlock"), {}, &f.table);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_FALSE(result->matches());
  EXPECT_EQ(result->mismatch->reason, "relocation target differs");
  EXPECT_EQ(result->mismatch->original, "-> console_unlock");
  EXPECT_EQ(result->mismatch->shipped, "-> __x86_return_thunk (0xffffffff81000020)");
  // Without the table only the bytes are compared, and they agree.
  EXPECT_TRUE(CompareWithShipped(f.image, kCpuStop, ObjectJmp("c_stop", "console_unlock"))->matches());
}

TEST(Neighbours, BreakTheTieBetweenIdenticalCopies) {
  Fixture f;
  FunctionCode code = ObjectJmp("pfn_to_page_inline", "console_unlock");
  auto alone = FindMatchingInstance(f.table, f.image, code.name, code);
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error().code, ErrorCode::kConflict);
  std::vector<std::string> task_mmu = {"smaps_account", "pfn_to_page_inline", "smaps_page_accumulate"};
  auto address = FindMatchingInstance(f.table, f.image, code.name, code, task_mmu);
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, kInlineA);
  std::vector<std::string> unrelated = {"pfn_to_page_inline", "something_else"};
  EXPECT_FALSE(FindMatchingInstance(f.table, f.image, code.name, code, unrelated));
}

// A static variable `state` in two files; the function that uses it says
// which one the patch means.
TEST(ResolveReferencedSymbol, FindsTheVariableTheShippedCodeUses) {
  constexpr std::uint64_t kUser = kSyntheticBase;
  constexpr std::uint64_t kStateA = kSyntheticBase + 0x40;
  constexpr std::uint64_t kStateB = kSyntheticBase + 0x48;
  // mov eax, [rip + disp32] -> kStateB; ret
  Bytes contents(0x50, 0);
  auto disp = static_cast<std::int32_t>(kStateB - (kUser + 6));
  Bytes code = {0x8b, 0x05, 0, 0, 0, 0, 0xc3};
  std::memcpy(code.data() + 2, &disp, 4);
  Put(&contents, kUser, code);
  std::string file = testing::MakeElfImage(contents);
  VmlinuxImage image = *VmlinuxImage::Open(file);
  SymbolTable table;
  table.Add(Symbol{"use_state", kUser, 't', "vmlinux", 0});
  table.Add(Symbol{"state", kStateA, 'd', "vmlinux", 0});
  table.Add(Symbol{"state", kStateB, 'd', "vmlinux", 0});

  FunctionCode original{"use_state", {0x8b, 0x05, 0, 0, 0, 0, 0xc3},
                        {{2, 4, "state", RelocKind::kPcRelative, -4}}};
  auto address = ResolveReferencedSymbol(table, image, kUser, original, "state");
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, kStateB);
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "state", *address), 2u);

  EXPECT_EQ(ResolveReferencedSymbol(table, image, kUser, original, "other").error().code,
            ErrorCode::kNotFound);
  original.relocs[0].addend = 0;  // a wrong addend lands 4 bytes off: no `state` there
  EXPECT_EQ(ResolveReferencedSymbol(table, image, kUser, original, "state").error().code,
            ErrorCode::kVerification);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
