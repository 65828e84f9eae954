// Tests against the installed target kernel (/boot/vmlinuz-R). Suites start
// with "Kernel" so ctest can run them as their own "unit;kernel" entry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iostream>

#include "common/file_util.hpp"
#include "patchbuild/symbols/module_symbols.hpp"
#include "patchbuild/symbols/reloc_targets.hpp"
#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/symbol_text.hpp"
#include "patchbuild/symbols/sympos.hpp"
#include "tests/patchbuild/symbols/kernel_fixture.hpp"

namespace lp::patchbuild::symbols {
namespace {

using testing::TargetKernel;

const Symbol& Unique(const TargetKernel& kernel, std::string_view name) {
  auto found = kernel.table.FindInObject(kVmlinux, name);
  if (found.size() != 1) {
    ADD_FAILURE() << name << " occurs " << found.size() << " times";
    static const Symbol none;
    return none;
  }
  return *found.front();
}

// The shipped bytes of a function, from its address to the next symbol.
FunctionCode ShippedFunction(const TargetKernel& kernel, const Symbol& symbol) {
  FunctionCode code;
  code.name = symbol.name;
  auto next = kernel.table.NextAddressAfter(kVmlinux, symbol.address);
  if (!next) return code;
  auto bytes = kernel.image.Read(symbol.address, *next - symbol.address);
  if (bytes) code.bytes.assign(bytes->begin(), bytes->end());
  return code;
}

TEST(KernelKallsyms, DecodesTensOfThousandsOfSymbols) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  std::cout << "kallsyms of " << kernel.release << ": " << kernel.table.size() << " symbols in "
            << kernel.decode_seconds << " s\n";
  ::testing::Test::RecordProperty("decode_seconds", std::to_string(kernel.decode_seconds));
  EXPECT_GT(kernel.table.size(), 50'000u);
  EXPECT_LT(kernel.table.size(), 1'000'000u);
  EXPECT_LT(kernel.decode_seconds, 5.0);
}

TEST(KernelKallsyms, KnownSymbolsHaveSaneTypes) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  EXPECT_EQ(Unique(kernel, "cmdline_proc_show").type, 't');  // static in fs/proc/cmdline.c
  EXPECT_EQ(Unique(kernel, "start_kernel").type, 'T');
  EXPECT_EQ(Unique(kernel, "jiffies").type, 'D');
  EXPECT_EQ(Unique(kernel, "init_task").type, 'D');
  EXPECT_EQ(Unique(kernel, "_text").type, 'T');
  EXPECT_EQ(Unique(kernel, "_text").address, 0xffffffff81000000u);  // x86_64 link address
  // Per-cpu variables are stored as absolute offsets into .data..percpu.
  EXPECT_EQ(Unique(kernel, "fixed_percpu_data").address, 0u);
}

TEST(KernelKallsyms, AddressesAreSortedAndTextIsInTheImage) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  const auto& symbols = kernel.table.symbols();
  std::size_t text = 0;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (i > 0) {
      ASSERT_LE(symbols[i - 1].address, symbols[i].address) << symbols[i].name;
    }
    ASSERT_FALSE(symbols[i].name.empty());
    if (symbols[i].IsText() && symbols[i].address >= 0xffffffff80000000u) {
      ++text;
      EXPECT_TRUE(kernel.image.Read(symbols[i].address, 1)) << symbols[i].name;
    }
  }
  EXPECT_GT(text, 20'000u);
}

TEST(KernelKallsyms, FtraceCallTargetsDecodedFentry) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  // Every traceable function starts with `call __fentry__` in the image;
  // following its rel32 must land on the decoded __fentry__, which checks
  // the decoded addresses against the code itself.
  const Symbol& show = Unique(kernel, "cmdline_proc_show");
  auto entry = kernel.image.Read(show.address, 5);
  ASSERT_TRUE(entry);
  ASSERT_EQ((*entry)[0], 0xe8);
  std::int32_t rel = 0;
  std::memcpy(&rel, entry->data() + 1, 4);
  EXPECT_EQ(show.address + 5 + static_cast<std::uint64_t>(static_cast<std::int64_t>(rel)),
            Unique(kernel, "__fentry__").address);
}

TEST(KernelKallsyms, SavesAsAKallsymsFileAndReadsBack) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  auto reread = ParseKallsymsFile(FormatKallsyms(kernel.table));
  ASSERT_TRUE(reread) << reread.error().message;
  ASSERT_EQ(reread->size(), kernel.table.size());
  for (std::size_t i = 0; i < reread->size(); i += 97) {
    EXPECT_EQ(reread->symbols()[i].name, kernel.table.symbols()[i].name);
    EXPECT_EQ(reread->symbols()[i].address, kernel.table.symbols()[i].address);
  }
}

// A module Debian ships, as the loaded module's kallsyms lists it. Checked
// by hand against a VM's /proc/kallsyms: ext4, jbd2 and 9 more, 4,469
// lines, all equal in name, order and type.
TEST(KernelModules, Jbd2SymbolsAsKallsymsShowsThem) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  auto ko = ReadFile("/lib/modules/" + kernel.release + "/kernel/fs/jbd2/jbd2.ko");
  ASSERT_TRUE(ko) << ko.error().message;
  auto table = ReadModuleSymbols(*ko, "jbd2");
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_GT(table->size(), 300u);
  auto start = table->FindInObject("jbd2", "jbd2_journal_start");
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start.front()->type, 'T');  // EXPORT_SYMBOL
  EXPECT_TRUE(table->FindAll("____versions").empty());  // __versions is dropped
  for (const Symbol& symbol : table->symbols()) {
    // .modinfo entries (__UNIQUE_ID_vermagic194 ...) are dropped too;
    // __UNIQUE_ID_ddebug* descriptors are real data and stay.
    EXPECT_NE(symbol.name.rfind("__UNIQUE_ID_vermagic", 0), 0u) << symbol.name;
  }
}

TEST(KernelSympos, DuplicatesCountAsLivepatchCounts) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  auto type_show = kernel.table.FindInObject(kVmlinux, "type_show");
  EXPECT_GE(type_show.size(), 10u);
  for (std::size_t i = 0; i < type_show.size(); ++i) {
    EXPECT_EQ(*ComputeSympos(kernel.table, kVmlinux, "type_show", type_show[i]->address), i + 1);
  }
  EXPECT_EQ(*ComputeSympos(kernel.table, kVmlinux, "cmdline_proc_show",
                           Unique(kernel, "cmdline_proc_show").address),
            0u);
}

TEST(KernelSympos, CodeMatchPicksTheRightCStart) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  auto c_start = kernel.table.FindInObject(kVmlinux, "c_start");
  ASSERT_GE(c_start.size(), 2u);
  for (std::size_t i = 0; i < c_start.size(); ++i) {
    FunctionCode code = ShippedFunction(kernel, *c_start[i]);
    auto address = FindMatchingInstance(kernel.table, kernel.image, "c_start", code);
    ASSERT_TRUE(address) << address.error().message;
    EXPECT_EQ(*address, c_start[i]->address);
    EXPECT_EQ(*ComputeSympos(kernel.table, kVmlinux, "c_start", *address), i + 1);
  }
}

TEST(KernelShipped, RealFunctionMatchesItself) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  const Symbol& show = Unique(kernel, "cmdline_proc_show");
  FunctionCode code = ShippedFunction(kernel, show);
  ASSERT_GT(code.bytes.size(), 16u);
  auto result = CompareWithShipped(kernel.image, show.address, code, code.bytes.size());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->matches()) << DescribeMismatch(show.name, *result->mismatch);
  EXPECT_GT(result->instructions, 5u);
}

TEST(KernelShipped, OneChangedByteIsReportedWithItsInstruction) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  const Symbol& show = Unique(kernel, "cmdline_proc_show");
  FunctionCode code = ShippedFunction(kernel, show);
  ASSERT_GT(code.bytes.size(), 16u);
  code.bytes[8] ^= 0x01;  // inside the second or third instruction, past the ftrace call
  auto result = CompareWithShipped(kernel.image, show.address, code);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_FALSE(result->matches());
  const ShippedMismatch& m = *result->mismatch;
  EXPECT_GE(m.offset, 5u);
  EXPECT_LE(m.offset, 8u);
  EXPECT_NE(m.original, m.shipped);
  std::string line = DescribeMismatch(show.name, m);
  std::cout << line << "\n";
  EXPECT_EQ(line.rfind("cmdline_proc_show+0x", 0), 0u) << line;
}

TEST(KernelShipped, RelocationBytesAndFtraceSiteAreExcused) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  const Symbol& show = Unique(kernel, "cmdline_proc_show");
  FunctionCode code = ShippedFunction(kernel, show);
  ASSERT_GT(code.bytes.size(), 16u);
  // As in the object file: the call's rel32 is zero and filled by a relocation.
  std::fill(code.bytes.begin() + 1, code.bytes.begin() + 5, 0);
  code.relocs.push_back({1, 4, "__fentry__"});
  auto result = CompareWithShipped(kernel.image, show.address, code);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->matches()) << DescribeMismatch(show.name, *result->mismatch);
  code.relocs.clear();  // without the relocation the zeros are a difference
  EXPECT_FALSE(CompareWithShipped(kernel.image, show.address, code)->matches());
}

TEST(KernelShipped, RipRelativeReferenceResolvesToTheDecodedVariable) {
  LP_REQUIRE_TARGET_KERNEL(kernel);
  // cmdline_proc_show does seq_puts(m, saved_command_line): a
  // `mov saved_command_line(%rip), %rsi` (48 8b 35 + disp32, addend -4).
  const Symbol& show = Unique(kernel, "cmdline_proc_show");
  FunctionCode code = ShippedFunction(kernel, show);
  std::vector<std::uint8_t> mov_rsi = {0x48, 0x8b, 0x35};
  auto at = std::search(code.bytes.begin(), code.bytes.end(), mov_rsi.begin(), mov_rsi.end());
  ASSERT_NE(at, code.bytes.end());
  auto offset = static_cast<std::uint64_t>(at - code.bytes.begin()) + 3;
  code.relocs.push_back({offset, 4, "saved_command_line", RelocKind::kPcRelative, -4});
  auto address = ResolveReferencedSymbol(kernel.table, kernel.image, show.address, code,
                                         "saved_command_line");
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, Unique(kernel, "saved_command_line").address);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
