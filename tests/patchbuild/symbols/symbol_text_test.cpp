#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "patchbuild/symbols/symbol_text.hpp"
#include "patchbuild/symbols/sympos.hpp"

namespace lp::patchbuild::symbols {
namespace {

constexpr std::string_view kKallsymsDump =
    "0000000000000000 A fixed_percpu_data\n"
    "ffffffff81000000 T _text\n"
    "ffffffff8104c960 t c_start\n"
    "ffffffff814105a0 t cmdline_proc_show\n"
    "ffffffff81410760 t c_start\n"
    "ffffffff82a079c0 D jiffies\n"
    "ffffffffc0a01000 t c_start\t[testmod]\n"
    "ffffffffc0a01010 T testmod_show\t[testmod]\n"
    "ffffffffc0201000 t ftrace_trampoline\t[__builtin__ftrace]\n";

TEST(ParseKallsymsFile, ReadsVmlinuxAndModuleLines) {
  auto table = ParseKallsymsFile(kKallsymsDump);
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_EQ(table->size(), 9u);
  const Symbol& show = table->symbols()[3];
  EXPECT_EQ(show.name, "cmdline_proc_show");
  EXPECT_EQ(show.address, 0xffffffff814105a0u);
  EXPECT_EQ(show.type, 't');
  EXPECT_EQ(show.object, "vmlinux");
  const Symbol& module_show = table->symbols()[7];
  EXPECT_EQ(module_show.name, "testmod_show");
  EXPECT_EQ(module_show.object, "testmod");
  EXPECT_EQ(module_show.type, 'T');
  EXPECT_EQ(*ComputeSympos(*table, "vmlinux", "c_start", 0xffffffff81410760), 2u);
  EXPECT_EQ(*ComputeSympos(*table, "testmod", "c_start", 0xffffffffc0a01000), 0u);
}

TEST(ParseKallsymsFile, FormatRoundTrips) {
  auto table = ParseKallsymsFile(kKallsymsDump);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(FormatKallsyms(*table), kKallsymsDump);
}

// The format as this machine's kernel really writes it (whatever kernel the
// host runs: the format, not the content, is under test). Module, [bpf] and
// [__builtin__ftrace] lines included.
TEST(ParseKallsymsFile, ReadsThisMachinesProcKallsyms) {
  auto text = ReadFile("/proc/kallsyms");
  if (!text || text->empty()) GTEST_SKIP() << "no readable /proc/kallsyms";
  auto table = ParseKallsymsFile(*text);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_GT(table->size(), 1000u);
  EXPECT_EQ(table->symbols().front().object, "vmlinux");
}

TEST(ParseKallsymsFile, AcceptsCrLfAndBlankLines) {
  auto table = ParseKallsymsFile("ffffffff81000000 T _text\r\n\nffffffff81000010 t foo\r\n");
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(table->size(), 2u);
  EXPECT_EQ(table->symbols()[1].name, "foo");
}

void ExpectParseError(std::string_view text, std::string_view needle) {
  auto table = ParseKallsymsFile(text);
  ASSERT_FALSE(table) << "accepted: " << text;
  EXPECT_EQ(table.error().code, ErrorCode::kParse);
  EXPECT_NE(table.error().message.find(needle), std::string::npos) << table.error().message;
}

TEST(ParseKallsymsFile, MalformedLinesNameLineAndProblem) {
  ExpectParseError("ffffffff81000000 T _text\nzzzz t foo\n", "line 2: address is not hexadecimal");
  ExpectParseError("ffffffff81000000 T\n", "line 1: expected a one-letter type");
  ExpectParseError("ffffffff81000000 TT foo\n", "line 1: expected a one-letter type");
  ExpectParseError("ffffffff81000000\n", "line 1: expected 'ADDRESS TYPE NAME'");
  ExpectParseError("ffffffff81000000 t foo\ttestmod\n", "module field is not [name]");
  ExpectParseError("ffffffff81000000 t foo bar\n", "has spaces");
  ExpectParseError("", "no symbols");
}

TEST(ParseSystemMap, ReadsNmStyleLines) {
  auto table = ParseSystemMap(
      "ffffffff81000000 T _text\n"
      "ffffffff814105a0 t cmdline_proc_show\n"
      "0000000000000000 D __per_cpu_start\n");
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_EQ(table->size(), 3u);
  EXPECT_EQ(table->symbols()[1].name, "cmdline_proc_show");
  EXPECT_EQ(table->symbols()[2].address, 0u);
}

TEST(ParseSystemMap, RefusesModuleFields) {
  auto table = ParseSystemMap("ffffffff81000000 t foo\t[ext4]\n");
  ASSERT_FALSE(table);
  EXPECT_NE(table.error().message.find("System.map line 1"), std::string::npos);
}

TEST(ParseSystemMap, RecognisesDebiansStub) {
  // The whole of /boot/System.map-6.1.0-56-amd64 on Debian 12.
  auto table = ParseSystemMap(
      "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n");
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ErrorCode::kNotFound);
  EXPECT_NE(table.error().message.find("-dbg"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
