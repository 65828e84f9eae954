#include "patchbuild/modinfo.hpp"

#include <gtest/gtest.h>

#include "tests/patchbuild/test_module.hpp"

namespace lp::patchbuild {
namespace {

TEST(ModinfoTest, ReadsKeysFromModinfoSection) {
  testing::TempDir dir;
  auto ko = testing::MakeFakeModule(dir.path(), "lp-x.ko", "lp_real_name");
  auto bytes = ReadFile(ko);
  ASSERT_TRUE(bytes.has_value());
  auto license = ReadModinfo(*bytes, "license");
  ASSERT_TRUE(license.has_value()) << license.error().message;
  EXPECT_EQ(*license, "GPL");
  auto missing = ReadModinfo(*bytes, "vermagic");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*ModuleName(ko, *bytes), "lp_real_name");
}

TEST(ModinfoTest, FallsBackToFileStemWithUnderscores) {
  testing::TempDir dir;
  auto ko = testing::MakeFakeModule(dir.path(), "lp-cmd-line.ko", "");
  auto bytes = ReadFile(ko);
  ASSERT_TRUE(bytes.has_value());
  auto name = ModuleName(ko, *bytes);
  ASSERT_TRUE(name.has_value()) << name.error().message;
  EXPECT_EQ(*name, "lp_cmd_line");
}

TEST(ModinfoTest, RejectsNonElf) {
  auto name = ModuleName("x.ko", "this is not an ELF object at all");
  ASSERT_FALSE(name.has_value());
  EXPECT_NE(name.error().message.find("not an ELF file"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild
