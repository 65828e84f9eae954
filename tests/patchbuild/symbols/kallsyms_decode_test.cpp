// The decoder on images made by KallsymsEncoder: no kernel needed.
#include <gtest/gtest.h>

#include "patchbuild/symbols/kallsyms_decode.hpp"
#include "patchbuild/symbols/kallsyms_layout.hpp"
#include "tests/patchbuild/symbols/kallsyms_encoder.hpp"
#include "tests/patchbuild/symbols/synthetic_image.hpp"

namespace lp::patchbuild::symbols {
namespace {

using testing::EncodedSymbol;
using testing::KallsymsOptions;

// 700 symbols (three markers), a per-cpu symbol at 0, a name longer than
// 127 tokens (two-byte length), duplicates, and names the pair tokens compress.
std::vector<EncodedSymbol> Symbols() {
  std::vector<EncodedSymbol> symbols = {{'A', "fixed_percpu_data", 0}, {'T', "_text", 0xffffffff81000000}};
  for (int i = 0; i < 700; ++i) {
    symbols.push_back({i % 3 ? 't' : 'T', "fn_start_" + std::to_string(i), 0xffffffff81000010ull + 16u * i});
  }
  symbols.push_back({'t', "type_show", 0xffffffff81100000});
  symbols.push_back({'t', std::string(200, 'x'), 0xffffffff81100010});
  symbols.push_back({'t', "type_show", 0xffffffff81100020});
  symbols.push_back({'D', "jiffies", 0xffffffff82000000});
  return symbols;
}

// Junk before and after, so the tables are found inside other bytes.
std::string ImageWith(const std::vector<std::uint8_t>& tables, int copies = 1) {
  std::vector<std::uint8_t> contents;
  for (int copy = 0; copy < copies; ++copy) {
    for (int i = 0; i < 4096; ++i) contents.push_back(static_cast<std::uint8_t>((i * 37 + copy) & 0xff));
    contents.insert(contents.end(), tables.begin(), tables.end());
  }
  for (int i = 0; i < 512; ++i) contents.push_back(static_cast<std::uint8_t>(i * 11));
  return testing::MakeElfImage(contents);
}

void ExpectDecodes(const KallsymsOptions& options) {
  auto symbols = Symbols();
  std::string file = ImageWith(testing::KallsymsEncoder().Encode(symbols, options));
  auto table = DecodeKallsyms(file);
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_EQ(table->size(), symbols.size());
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const Symbol& got = table->symbols()[i];
    EXPECT_EQ(got.name, symbols[i].name);
    EXPECT_EQ(got.type, symbols[i].type);
    EXPECT_EQ(got.address, symbols[i].address) << got.name;
    EXPECT_EQ(got.object, "vmlinux");
  }
  EXPECT_EQ(table->FindAll("type_show").size(), 2u);
}

TEST(DecodeKallsyms, Layout61WithSeqsAndAbsolutePercpu) { ExpectDecodes({}); }

TEST(DecodeKallsyms, OlderLayoutWithoutSeqs) {
  KallsymsOptions options;
  options.with_seqs = false;
  ExpectDecodes(options);
}

TEST(DecodeKallsyms, RelativeOffsetsWithoutAbsolutePercpu) {
  auto symbols = Symbols();
  symbols.erase(symbols.begin());  // no per-cpu symbol below the base then
  KallsymsOptions options;
  options.absolute_percpu = false;
  std::string file = ImageWith(testing::KallsymsEncoder().Encode(symbols, options));
  auto table = DecodeKallsyms(file);
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_EQ(table->size(), symbols.size());
  EXPECT_EQ(table->symbols().back().address, 0xffffffff82000000u);
}

TEST(DecodeKallsyms, LayoutIsReportedInFileOffsets) {
  std::string file = ImageWith(testing::KallsymsEncoder().Encode(Symbols(), {}));
  auto image = VmlinuxImage::Open(file);
  ASSERT_TRUE(image);
  auto layout = LocateKallsyms(*image);
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(layout->count, Symbols().size());
  EXPECT_EQ(layout->offsets, 0x1000u + 4096u);  // right after the junk
  EXPECT_TRUE(layout->seqs_of_names.has_value());
  EXPECT_EQ(layout->token_index % 8, 0u);
}

TEST(DecodeKallsyms, TwoCopiesAreRefused) {
  std::string file = ImageWith(testing::KallsymsEncoder().Encode(Symbols(), {}), 2);
  auto table = DecodeKallsyms(file);
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ErrorCode::kConflict);
}

TEST(DecodeKallsyms, NoTablesOrBrokenMarkersAreNotFound) {
  auto missing = DecodeKallsyms(ImageWith({}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto tables = testing::KallsymsEncoder().Encode(Symbols(), {});
  // Corrupt the first name's length byte: the names no longer land on the markers.
  std::size_t names = 4 * ((Symbols().size() + 1) / 2 * 2) + 16;
  tables[names] ^= 0x01;
  auto broken = DecodeKallsyms(ImageWith(tables));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kNotFound);
}

TEST(DecodeKallsyms, NotAnElfIsAParseError) {
  auto table = DecodeKallsyms(std::string_view("not an elf at all"));
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ErrorCode::kParse);
}

}  // namespace
}  // namespace lp::patchbuild::symbols
