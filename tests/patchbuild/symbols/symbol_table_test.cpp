#include <gtest/gtest.h>

#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/sympos.hpp"

namespace lp::patchbuild::symbols {
namespace {

Symbol Sym(std::string name, std::uint64_t address, char type, std::string object = "vmlinux") {
  return Symbol{std::move(name), address, type, std::move(object), 0};
}

// Mirrors the shapes of Debian's 6.1: c_start defined by three files,
// a name that is both a function and a variable, and module symbols that
// must not count towards vmlinux.
SymbolTable SmallTable() {
  SymbolTable table;
  table.Add(Sym("c_start", 0x1000, 't'));
  table.Add(Sym("cmdline_proc_show", 0x1100, 't'));
  table.Add(Sym("state", 0x1200, 't'));
  table.Add(Sym("c_start", 0x1300, 't'));
  table.Add(Sym("c_start", 0x1400, 't'));
  table.Add(Sym("state", 0x2000, 'd'));
  table.Add(Sym("jiffies", 0x2100, 'D'));
  table.Add(Sym("c_start", 0xc000, 't', "testmod"));
  table.Add(Sym("only_in_module", 0xc100, 't', "testmod"));
  return table;
}

TEST(SymbolTable, AssignsIndexesInKallsymsOrder) {
  SymbolTable table = SmallTable();
  ASSERT_EQ(table.size(), 9u);
  for (std::uint32_t i = 0; i < table.size(); ++i) EXPECT_EQ(table.symbols()[i].index, i);
  auto all = table.FindAll("c_start");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3]->object, "testmod");
  EXPECT_EQ(table.FindInObject("vmlinux", "c_start").size(), 3u);
  EXPECT_TRUE(table.FindAll("no_such_symbol").empty());
}

TEST(SymbolTable, NextAddressStaysInsideTheObject) {
  SymbolTable table = SmallTable();
  EXPECT_EQ(table.NextAddressAfter("vmlinux", 0x1100), 0x1200u);
  EXPECT_EQ(table.NextAddressAfter("vmlinux", 0x2100), std::nullopt);
  EXPECT_EQ(table.NextAddressAfter("testmod", 0xc000), 0xc100u);
}

TEST(Sympos, UniqueNameIsZero) {
  SymbolTable table = SmallTable();
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "cmdline_proc_show", 0x1100), 0u);
  EXPECT_EQ(*ComputeSympos(table, "testmod", "only_in_module", 0xc100), 0u);
}

TEST(Sympos, DuplicatesAreOneBasedInKallsymsOrder) {
  SymbolTable table = SmallTable();
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "c_start", 0x1000), 1u);
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "c_start", 0x1300), 2u);
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "c_start", 0x1400), 3u);
}

TEST(Sympos, ModuleInstancesCountOnlyInTheirModule) {
  SymbolTable table = SmallTable();
  // The module's c_start is unique in testmod even though vmlinux has three.
  EXPECT_EQ(*ComputeSympos(table, "testmod", "c_start", 0xc000), 0u);
}

TEST(Sympos, DataOfTheSameNameCounts) {
  SymbolTable table = SmallTable();
  // klp_find_callback compares names only: the variable `state` makes the
  // function `state` ambiguous, so it needs sympos 1, not 0.
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "state", 0x1200), 1u);
  EXPECT_EQ(*ComputeSympos(table, "vmlinux", "state", 0x2000), 2u);
}

TEST(Sympos, MissingNameOrAddressIsAnError) {
  SymbolTable table = SmallTable();
  auto missing = ComputeSympos(table, "vmlinux", "no_such_symbol", 0x1000);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto wrong_address = ComputeSympos(table, "vmlinux", "c_start", 0x1234);
  ASSERT_FALSE(wrong_address);
  EXPECT_NE(wrong_address.error().message.find("0x1234"), std::string::npos);
  auto wrong_object = ComputeSympos(table, "ext4", "c_start", 0x1000);
  EXPECT_FALSE(wrong_object);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
