// The module name `patchbuild build` gives a livepatch (patchbuild/module_name.hpp).
#include "patchbuild/module_name.hpp"

#include <gtest/gtest.h>

#include "patchbuild/generate/generate.hpp"

namespace lp::patchbuild {
namespace {

std::string Error(const Status& s) { return s ? std::string() : s.error().message; }
template <class T>
std::string Error(const Expected<T>& e) {
  return e ? std::string() : e.error().message;
}

TEST(ModuleName, AcceptsKernelModuleNames) {
  for (const char* ok : {"lp_fix", "a", "_x", "lp_cmdline_fix_v2", "x0"}) EXPECT_TRUE(CheckModuleName(ok)) << ok;
  EXPECT_TRUE(CheckModuleName(std::string(41, 'a')));
  EXPECT_TRUE(CheckModuleName(std::string(55, 'a'), kKernelModuleNameMax));
}

TEST(ModuleName, RefusesWithTheReason) {
  EXPECT_NE(Error(CheckModuleName("")).find("empty"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName("lp-fix")).find("only a-z, 0-9 and _"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName("LP_FIX")).find("only a-z, 0-9 and _"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName("lp.fix")).find("'lp.fix' is not a module name"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName("lp fix")).find("only"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName("2fix")).find("starts with a digit"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName(std::string(42, 'a'))).find("42 characters, at most 41"), std::string::npos);
  EXPECT_NE(Error(CheckModuleName(std::string(56, 'a'), kKernelModuleNameMax)).find("at most 55"),
            std::string::npos);
  EXPECT_EQ(CheckModuleName("lp-fix").error().code, ErrorCode::kInvalidArgument);
}

// What `build` accepts is what the generate stage accepts: a name refused
// there would be refused only after the compile.
TEST(ModuleName, BuildLimitIsTheGenerateStages) {
  for (const std::string& name : {std::string("lp_fix"), std::string(41, 'a'), std::string(42, 'a'),
                                  std::string("2fix"), std::string("Lp_fix"), std::string("lp-fix")}) {
    generate::GenerateOptions options;
    options.name = name;
    auto generated = generate::GenerateLivepatchSource({}, generate::TargetSymbols{}, options);
    ASSERT_FALSE(generated.has_value());
    const bool generate_refused_name = generated.error().message.find("patch name") != std::string::npos;
    EXPECT_EQ(generate_refused_name, !CheckModuleName(name).has_value()) << name << ": " << generated.error().message;
  }
}

TEST(ModuleName, DerivedFromPatchIdAndVersion) {
  EXPECT_EQ(ModuleNameForVersion("cmdline", 1).value(), "lp_cmdline_v1");
  EXPECT_EQ(ModuleNameForVersion("cmdline", 2).value(), "lp_cmdline_v2");
  EXPECT_EQ(ModuleNameForVersion("lp-cmdline", 12).value(), "lp_cmdline_v12") << "no second lp_";
  EXPECT_EQ(ModuleNameForVersion("lp_cumul", 3).value(), "lp_cumul_v3");
  EXPECT_EQ(ModuleNameForVersion("CVE-2024.0001", 1).value(), "lp_cve_2024_0001_v1");
  EXPECT_EQ(ModuleNameForVersion("2024-fix", 1).value(), "lp_2024_fix_v1") << "the prefix keeps a digit off the front";
  EXPECT_EQ(ModuleNameForVersion("fix/1+x", 1).value(), "lp_fix1x_v1") << "other characters are dropped";
  EXPECT_EQ(ModuleNameForVersion("-fix-", 4).value(), "lp_fix_v4");
}

TEST(ModuleName, LongIdIsCutButKeepsTheVersion) {
  const std::string id(100, 'x');
  auto v1 = ModuleNameForVersion(id, 1);
  auto v2 = ModuleNameForVersion(id, 2);
  ASSERT_TRUE(v1) << v1.error().message;
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v1->size(), kBuildModuleNameMax);
  EXPECT_EQ(*v1, "lp_" + std::string(41 - 6, 'x') + "_v1");
  EXPECT_NE(*v1, *v2);
  auto big = ModuleNameForVersion(id, UINT64_MAX);
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->size(), kBuildModuleNameMax);
  EXPECT_TRUE(big->ends_with("_v18446744073709551615")) << *big;
  auto kernel = ModuleNameForVersion(id, 7, kKernelModuleNameMax);
  ASSERT_TRUE(kernel) << kernel.error().message;
  EXPECT_EQ(kernel->size(), kKernelModuleNameMax);
  // A cut that ends on '_' does not leave "__v".
  auto cut = ModuleNameForVersion(std::string(34, 'a') + "-b", 1);
  ASSERT_TRUE(cut) << cut.error().message;
  EXPECT_EQ(*cut, "lp_" + std::string(34, 'a') + "_v1");
}

TEST(ModuleName, NothingLeftIsRefused) {
  for (const char* id : {"", "---", "...", "/+!", "_-_"}) {
    auto name = ModuleNameForVersion(id, 1);
    ASSERT_FALSE(name.has_value()) << id << " -> " << *name;
    EXPECT_EQ(name.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(name.error().message.find("no letter or digit"), std::string::npos) << name.error().message;
  }
}

TEST(ModuleName, ResolvedFromTheFlags) {
  EXPECT_EQ(ResolveModuleName("lp_mine", "stream", 3).value(), "lp_mine") << "--name wins";
  EXPECT_EQ(ResolveModuleName(std::nullopt, "stream", 3).value(), "lp_stream_v3");
  EXPECT_EQ(ResolveModuleName(std::nullopt, std::nullopt, 3).value(), "lp_fix") << "today's default";
  auto bad_name = ResolveModuleName("Lp-Mine", "stream", 1);
  ASSERT_FALSE(bad_name.has_value());
  EXPECT_EQ(bad_name.error().message.rfind("--name: 'Lp-Mine' is not a module name", 0), 0u)
      << bad_name.error().message;
  auto bad_id = ResolveModuleName(std::nullopt, "+++", 1);
  ASSERT_FALSE(bad_id.has_value());
  EXPECT_EQ(bad_id.error().message.rfind("--patch-id", 0), 0u) << bad_id.error().message;
  EXPECT_EQ(bad_id.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild
