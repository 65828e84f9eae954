#include "patchbuild/generate/klp_side_table.hpp"

#include <gtest/gtest.h>

#include "patchbuild/generate/object_plan.hpp"

namespace lp::patchbuild::generate {
namespace {

TEST(KlpNames, SymbolNameIsWhatTheKernelParses) {
  EXPECT_EQ(KlpSymbolName("vmlinux", "saved_command_line", 0), ".klp.sym.vmlinux.saved_command_line,0");
  EXPECT_EQ(KlpSymbolName("lp_testmod", "c_start", 2), ".klp.sym.lp_testmod.c_start,2");
  EXPECT_EQ(KlpSymbolObject(".klp.sym.vmlinux.counter.1,3").value(), "vmlinux");
  EXPECT_FALSE(KlpSymbolObject("saved_command_line"));
  EXPECT_FALSE(KlpSymbolObject(".klp.sym.vmlinux"));
  EXPECT_FALSE(KlpSymbolObject(".klp.sym..x,0"));
}

TEST(KlpNames, ReplacementNamesAreCIdentifiers) {
  EXPECT_EQ(ReplacementName("cmdline_proc_show"), "livepatch_cmdline_proc_show");
  EXPECT_EQ(ReplacementName("show_map.isra.0"), "livepatch_show_map_isra_0");
}

TEST(SideTable, RoundTrips) {
  std::vector<KlpRelocEntry> in{{2, -4, ".klp.sym.vmlinux.saved_command_line,0"},
                                {11, 16, ".klp.sym.vmlinux.counter.1,2"}};
  EncodedSideTable t = EncodeSideTable(in);
  EXPECT_EQ(t.entries.size(), 2 * kSideEntrySize);
  auto out = DecodeSideTable(std::string_view(reinterpret_cast<const char*>(t.entries.data()), t.entries.size()),
                             std::string_view(reinterpret_cast<const char*>(t.strings.data()), t.strings.size()));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].symbol, in[0].symbol);
  EXPECT_EQ((*out)[0].addend, -4);
  EXPECT_EQ((*out)[1].type, 11u);
  EXPECT_EQ((*out)[1].addend, 16);
  EXPECT_EQ((*out)[1].symbol, in[1].symbol);
}

TEST(SideTable, RefusesTruncatedTablesAndBadOffsets) {
  EncodedSideTable t = EncodeSideTable({{2, -4, ".klp.sym.vmlinux.x,0"}});
  std::string entries(reinterpret_cast<const char*>(t.entries.data()), t.entries.size());
  std::string strings(reinterpret_cast<const char*>(t.strings.data()), t.strings.size());
  EXPECT_FALSE(DecodeSideTable(entries.substr(0, 23), strings));
  EXPECT_FALSE(DecodeSideTable(entries, strings.substr(0, 3)));  // name runs past the end
}

}  // namespace
}  // namespace lp::patchbuild::generate
