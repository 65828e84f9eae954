#include "patchbuild/elf/object_file.hpp"

#include "patchbuild/diff/diff.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/patchbuild/diff/compile.hpp"

namespace lp::patchbuild::elf {
namespace {

using lp::patchbuild::testing::CompileC;
using lp::patchbuild::testing::kKernelFlavour;

constexpr const char* kSource = R"(
extern int printk(const char *fmt, ...);
int counter_base = 7;
static int helper(int x) { return x * 3 + counter_base; }
int show(int a) {
  static int calls;
  calls++;
  printk("show %d %d\n", a, calls);
  return helper(a);
}
)";

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

TEST(ObjectFile, ModelsSectionsSymbolsAndRelocations) {
  lp::testing::TempDir dir;
  const auto obj_path = CompileC(dir, "a", kSource, kKernelFlavour.flags);
  ASSERT_FALSE(obj_path.empty());
  auto obj = ObjectFile::Open(obj_path);
  ASSERT_TRUE(obj) << obj.error().message;
  EXPECT_EQ((*obj)->arch().Name(), "x86_64");

  Section* text = (*obj)->FindSection(".text.show");
  ASSERT_NE(text, nullptr);
  EXPECT_TRUE(text->IsCode());
  ASSERT_NE(text->rela, nullptr);
  EXPECT_EQ(text->rela->base, text);

  Symbol* show = (*obj)->FindSymbol("show");
  ASSERT_NE(show, nullptr);
  EXPECT_TRUE(show->IsFunction());
  EXPECT_FALSE(show->IsLocal());
  EXPECT_EQ(show->section, text);
  EXPECT_EQ(show->Bytes().size(), show->size);
  EXPECT_EQ(text->SymbolAt(0), show);

  // -mfentry: the first relocation of every function is the __fentry__ call.
  ASSERT_FALSE(text->relocations.empty());
  EXPECT_EQ(text->relocations.front().symbol->name, "__fentry__");
  EXPECT_TRUE(text->relocations.front().symbol->IsUndefined());
  bool calls_printk = false;
  for (const auto& r : text->relocations) calls_printk |= r.symbol->name == "printk";
  EXPECT_TRUE(calls_printk);

  Section* strings = nullptr;
  for (const auto& s : (*obj)->sections()) {
    if (s->IsMergeableStrings() && s->name.starts_with(".rodata")) strings = s.get();
  }
  ASSERT_NE(strings, nullptr);
  EXPECT_NE(std::string(strings->data.begin(), strings->data.end()).find("show %d %d"), std::string::npos);
}

TEST(ObjectFile, MissingFileIsNotFound) {
  lp::testing::TempDir dir;
  auto obj = ObjectFile::Open(dir / "nope.o");
  ASSERT_FALSE(obj);
  EXPECT_EQ(obj.error().code, ErrorCode::kNotFound);
  EXPECT_NE(obj.error().message.find("nope.o"), std::string::npos);
}

TEST(ObjectFile, TextFileIsAParseError) {
  lp::testing::TempDir dir;
  WriteAll(dir / "x.o", "this is not an object file\n");
  auto obj = ObjectFile::Open(dir / "x.o");
  ASSERT_FALSE(obj);
  EXPECT_EQ(obj.error().code, ErrorCode::kParse);
  EXPECT_NE(obj.error().message.find("x.o"), std::string::npos) << obj.error().message;
}

TEST(ObjectFile, EmptyFileIsAParseError) {
  lp::testing::TempDir dir;
  WriteAll(dir / "empty.o", "");
  auto obj = ObjectFile::Open(dir / "empty.o");
  ASSERT_FALSE(obj);
  EXPECT_EQ(obj.error().code, ErrorCode::kParse);
}

TEST(ObjectFile, LinkedExecutableIsRejected) {
  lp::testing::TempDir dir;
  const auto src = dir / "main.c";
  std::ofstream(src) << "int main(void) { return 0; }\n";
  const std::string cmd = "gcc -o '" + (dir / "main").string() + "' '" + src.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto obj = ObjectFile::Open(dir / "main");
  ASSERT_FALSE(obj);
  EXPECT_EQ(obj.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(obj.error().message.find("relocatable"), std::string::npos) << obj.error().message;
}

TEST(ObjectFile, OtherMachineIsRejectedWhenOpened) {
  lp::testing::TempDir dir;
  const auto obj_path = CompileC(dir, "a", kSource);
  ASSERT_FALSE(obj_path.empty());
  std::string bytes = ReadAll(obj_path);
  // e_machine is the 16-bit field at offset 18; EM_AARCH64 = 183.
  bytes[18] = static_cast<char>(183);
  bytes[19] = 0;
  WriteAll(dir / "arm.o", bytes);
  auto obj = ObjectFile::Open(dir / "arm.o");
  ASSERT_FALSE(obj);
  EXPECT_EQ(obj.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(obj.error().message.find("e_machine=183"), std::string::npos) << obj.error().message;
}

// Fuzz-ish: every truncation of a real object must fail cleanly (no crash,
// no hang, a kParse error); the full file must open.
TEST(ObjectFile, TruncatedObjectsFailCleanly) {
  lp::testing::TempDir dir;
  const auto obj_path = CompileC(dir, "a", kSource, kKernelFlavour.flags);
  ASSERT_FALSE(obj_path.empty());
  const std::string bytes = ReadAll(obj_path);
  ASSERT_GT(bytes.size(), 256u);
  std::vector<size_t> lengths = {1, 4, 16, 52, 63, 64, 65, 100, 200};
  for (size_t n = 256; n < bytes.size(); n += 97) lengths.push_back(n);
  lengths.push_back(bytes.size() - 1);
  for (size_t n : lengths) {
    const auto cut = dir / ("cut" + std::to_string(n) + ".o");
    WriteAll(cut, bytes.substr(0, n));
    auto obj = ObjectFile::Open(cut);
    EXPECT_FALSE(obj) << "a file cut to " << n << " of " << bytes.size() << " bytes opened";
    if (!obj) {
      EXPECT_EQ(obj.error().code, ErrorCode::kParse) << n << ": " << obj.error().message;
    }
  }
  EXPECT_TRUE(ObjectFile::Open(obj_path));
}

// Fuzz-ish: flipping bytes of the headers must never crash the reader. Some
// flips are harmless, so only "no crash, and an error if it fails" is checked.
TEST(ObjectFile, CorruptedHeadersDoNotCrash) {
  lp::testing::TempDir dir;
  const auto obj_path = CompileC(dir, "a", kSource, kKernelFlavour.flags);
  ASSERT_FALSE(obj_path.empty());
  const std::string bytes = ReadAll(obj_path);
  uint32_t seed = 12345;
  for (int round = 0; round < 200; ++round) {
    std::string mutated = bytes;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 1103515245u + 12345u;
      mutated[(seed >> 8) % mutated.size()] ^= static_cast<char>(1u << (seed % 8));
    }
    const auto path = dir / "mut.o";
    WriteAll(path, mutated);
    auto obj = ObjectFile::Open(path);
    if (!obj) {
      EXPECT_FALSE(obj.error().message.empty());
      continue;
    }
    // What still opens must also survive the whole diff pipeline.
    auto pristine = ObjectFile::Open(obj_path);
    ASSERT_TRUE(pristine);
    (void)DiffObjects(**pristine, **obj);
  }
}

}  // namespace
}  // namespace lp::patchbuild::elf
