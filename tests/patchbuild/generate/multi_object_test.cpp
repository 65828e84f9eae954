// A patch of several files: kbuild links one generated object per file
// (ld -r), which concatenates their livepatch side tables and string
// tables. After FinalizeKlpRelocations each object's livepatch relocations
// must still name their own symbols.
#include <gtest/gtest.h>

#include <cstdlib>

#include "patchbuild/diff/diff.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/generate/klp_finalize.hpp"
#include "patchbuild/generate/object_planner.hpp"
#include "patchbuild/generate/object_writer.hpp"
#include "tests/patchbuild/diff/compile.hpp"
#include "tests/patchbuild/generate/elf_view.hpp"

namespace lp::patchbuild::generate {
namespace {

// One file of the pretend kernel: fn reads a non-exported global.
std::string Source(const std::string& fn, const std::string& global, int add) {
  return "extern int " + global + ";\nint " + fn + "(int x) { return x + " + global + " + " + std::to_string(add) +
         "; }\n";
}

class MultiObjectTest : public ::testing::Test {
 protected:
  // Plans and writes the pair (fn changed) as DIR/<name>.o_gen.
  std::filesystem::path Generate(const std::string& name, const std::string& fn, const std::string& global) {
    const std::string flags = patchbuild::testing::kKernelFlavour.flags;
    auto orig = patchbuild::testing::CompileC(dir_, name + "_orig", Source(fn, global, 1), flags);
    auto patched = patchbuild::testing::CompileC(dir_, name + "_patched", Source(fn, global, 2), flags);
    if (orig.empty() || patched.empty()) return {};
    auto o = elf::ObjectFile::Open(orig);
    auto p = elf::ObjectFile::Open(patched);
    if (!o || !p) return {};
    auto diff = DiffObjects(**o, **p);
    if (!diff) return {};
    KernelSymbols kernel(table_, nullptr, {"__fentry__"}, "vmlinux", o->get());
    auto plan = PlanObject(**p, kernel);
    if (!plan) {
      ADD_FAILURE() << plan.error().message;
      return {};
    }
    const auto out = dir_ / (name + ".o_gen");
    if (!WriteObject(*plan, out)) return {};
    keep_.push_back(std::move(*o));
    keep_.push_back(std::move(*p));
    return out;
  }

  lp::testing::TempDir dir_;
  symbols::SymbolTable table_;
  std::vector<std::unique_ptr<elf::ObjectFile>> keep_;
};

TEST_F(MultiObjectTest, EachObjectKeepsItsOwnLivepatchSymbolsAfterLinking) {
  for (const char* name : {"first_function", "a_rather_long_global_name_in_the_first_file", "second_function",
                           "g2", "__fentry__"})
    table_.Add(symbols::Symbol{name, 0xffffffff81000000ull + 0x100 * table_.size(), 'T', "vmlinux", 0});
  const auto a = Generate("a", "first_function", "a_rather_long_global_name_in_the_first_file");
  const auto b = Generate("b", "second_function", "g2");
  ASSERT_FALSE(a.empty() || b.empty());
  const auto linked = dir_ / "linked.ko";
  const std::string cmd = "ld -r -o '" + linked.string() + "' '" + a.string() + "' '" + b.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  auto result = FinalizeKlpRelocations(linked);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->klp_relocations, 2u);
  auto ko = testing::ReadElfView(linked);
  for (const auto& [fn, global] : std::vector<std::pair<std::string, std::string>>{
           {"first_function", "a_rather_long_global_name_in_the_first_file"}, {"second_function", "g2"}}) {
    const auto* klp = ko.Section(".klp.rela.vmlinux..text.livepatch_" + fn);
    ASSERT_NE(klp, nullptr) << fn;
    ASSERT_EQ(klp->relocs.size(), 1u) << fn;
    EXPECT_EQ(klp->relocs[0].symbol, ".klp.sym.vmlinux." + global + ",0") << fn;
  }
}

}  // namespace
}  // namespace lp::patchbuild::generate
