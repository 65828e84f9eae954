// ReadModuleSymbols on an object the test compiles with gcc: the sections
// a module has (.init.text, .modinfo, __versions, .data..percpu, __ksymtab)
// without needing kbuild. The real-module check against a VM's
// /proc/kallsyms is in the report; kernel_test.cpp reads a shipped .ko.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "common/file_util.hpp"
#include "patchbuild/symbols/module_symbols.hpp"
#include "patchbuild/symbols/sympos.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::symbols {
namespace {

constexpr const char* kModuleSource = R"(
#define SECTION(s) __attribute__((section(s), used))
int exported_fn(int x) { return x + 1; }
int gpl_fn(int x) { return x + 2; }
static int show(int x) { return x * 3; }
int (*keep_show)(int) = show;
__attribute__((weak)) int weak_fn(void) { return 0; }
SECTION(".init.text") int init_module(void) { return 0; }
SECTION(".modinfo") static const char modinfo_license[] = "license=GPL";
SECTION("__versions") static const char versions[64] = "module_layout";
SECTION(".data..percpu") int percpu_counter;
SECTION("__ksymtab") static const void* __ksymtab_exported_fn = exported_fn;
SECTION("__ksymtab_gpl") static const void* __ksymtab_gpl_fn = gpl_fn;
static int bss_counter;
int *keep_bss = &bss_counter;
)";

class ModuleSymbols : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "mod.c") << kModuleSource;
    std::string cc = "gcc -O2 -fno-inline -c -o " + (dir_ / "mod.o").string() + " " +
                     (dir_ / "mod.c").string();
    ASSERT_EQ(std::system(cc.c_str()), 0) << cc;
    auto bytes = ReadFile(dir_ / "mod.o");
    ASSERT_TRUE(bytes);
    auto table = ReadModuleSymbols(*bytes, "testmod");
    ASSERT_TRUE(table) << table.error().message;
    table_ = std::move(*table);
  }

  char TypeOf(std::string_view name) {
    auto found = table_.FindInObject("testmod", name);
    return found.size() == 1 ? found.front()->type : '-';
  }

  lp::testing::TempDir dir_;
  SymbolTable table_;
};

TEST_F(ModuleSymbols, KeepsWhatTheLoaderKeeps) {
  EXPECT_EQ(TypeOf("show"), 't');
  EXPECT_EQ(TypeOf("gpl_fn"), 't');         // EXPORT_SYMBOL_GPL: shown lower case
  EXPECT_EQ(TypeOf("exported_fn"), 'T');    // EXPORT_SYMBOL: upper case
  EXPECT_EQ(TypeOf("weak_fn"), 'w');
  EXPECT_EQ(TypeOf("percpu_counter"), 'a');
  EXPECT_EQ(TypeOf("bss_counter"), 'b');
  EXPECT_EQ(TypeOf("keep_show"), 'd');
  // Freed after init, or dropped by the loader before layout.
  EXPECT_EQ(TypeOf("init_module"), '-');
  EXPECT_EQ(TypeOf("modinfo_license"), '-');
  EXPECT_EQ(TypeOf("versions"), '-');
  for (const Symbol& symbol : table_.symbols()) EXPECT_EQ(symbol.object, "testmod");
}

TEST_F(ModuleSymbols, SymposCountsInsideTheModule) {
  auto show = table_.FindInObject("testmod", "show");
  ASSERT_EQ(show.size(), 1u);
  EXPECT_EQ(*ComputeSympos(table_, "testmod", "show", show.front()->address), 0u);
}

TEST(ModuleSymbolsInput, NonRelocatableIsRefused) {
  auto table = ReadModuleSymbols("not an elf", "x");
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ErrorCode::kParse);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
