#include "patchbuild/diff/names.hpp"

#include <gtest/gtest.h>

namespace lp::patchbuild {
namespace {

TEST(NormalizedName, DropsStaticLocalCounters) {
  EXPECT_EQ(NormalizedName("counter.3"), "counter");
  EXPECT_EQ(NormalizedName("__already_done.12"), "__already_done");
}

TEST(NormalizedName, KeepsClonePassesButDropsTheirNumbers) {
  EXPECT_EQ(NormalizedName("show_map.isra.0"), "show_map.isra");
  EXPECT_EQ(NormalizedName("foo.constprop.0.isra.0"), "foo.constprop.isra");
  EXPECT_EQ(NormalizedName("foo.part.1"), "foo.part");
  EXPECT_EQ(NormalizedName("foo.cold"), "foo.cold");
  EXPECT_EQ(NormalizedName("foo.cold.7"), "foo.cold");
}

TEST(NormalizedName, DropsKernelUniqueIdCounters) {
  EXPECT_EQ(NormalizedName("__UNIQUE_ID_ddebug412"), "__UNIQUE_ID_ddebug");
  EXPECT_EQ(NormalizedName("__UNIQUE_ID___addressable_kfree273"), "__UNIQUE_ID___addressable_kfree");
  EXPECT_TRUE(HasNumberedSuffix("__UNIQUE_ID_license5"));
}

TEST(NormalizedName, LeavesPlainNamesAlone) {
  EXPECT_EQ(NormalizedName("cmdline_proc_show"), "cmdline_proc_show");
  EXPECT_EQ(NormalizedName(".rodata.str1.1"), ".rodata.str1");
  EXPECT_FALSE(HasNumberedSuffix("printk"));
  EXPECT_TRUE(HasNumberedSuffix("counter.0"));
}

TEST(ColdParentName, FindsTheFunctionAColdPartCameFrom) {
  EXPECT_EQ(ColdParentName("foo.cold"), "foo");
  EXPECT_EQ(ColdParentName("foo.isra.0.cold"), "foo.isra.0");
  EXPECT_EQ(ColdParentName("foo.cold.3"), "foo");
  EXPECT_EQ(ColdParentName("foo"), "");
  EXPECT_EQ(ColdParentName("cold"), "");
}

TEST(IsAssemblerLocal, MatchesDotLLabels) {
  EXPECT_TRUE(IsAssemblerLocal(".LC0"));
  EXPECT_FALSE(IsAssemblerLocal("counter.1"));
}

}  // namespace
}  // namespace lp::patchbuild
