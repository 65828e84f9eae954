#include "common/ustar.hpp"

#include <gtest/gtest.h>

#include "common/file_util.hpp"
#include "tests/common/test_helpers.hpp"

namespace lp {
namespace {

std::vector<ustar::Member> Sample() {
  return {{"a.txt", "hello\n", 1795000000}, {"empty", "", 0}, {"big.bin", std::string(1300, 'x'), 5}};
}

TEST(UstarTest, RoundTrip) {
  auto packed = ustar::Pack(Sample());
  ASSERT_TRUE(packed.has_value());
  EXPECT_EQ(packed->size() % 512, 0u);
  EXPECT_EQ(packed->size(), 512 * (1 + 1 + 1 + 0 + 1 + 3 + 2));
  auto members = ustar::Unpack(*packed, 10, 1 << 20);
  ASSERT_TRUE(members.has_value()) << members.error().message;
  ASSERT_EQ(members->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*members)[i].name, Sample()[i].name);
    EXPECT_EQ((*members)[i].data, Sample()[i].data);
    EXPECT_EQ((*members)[i].mtime, Sample()[i].mtime);
  }
}

TEST(UstarTest, GnuTarListsAndExtracts) {
  testing::TempDir dir;
  auto packed = ustar::Pack(Sample());
  ASSERT_TRUE(packed.has_value());
  ASSERT_TRUE(WriteFileAtomic(dir / "x.tar", *packed).has_value());
  auto list = testing::RunCommand("tar -tf " + (dir / "x.tar").string());
  EXPECT_EQ(list.status, 0);
  EXPECT_EQ(list.output, "a.txt\nempty\nbig.bin\n");
  ASSERT_TRUE(MakeDirs(dir / "out").has_value());
  auto x = testing::RunCommand("tar -xf " + (dir / "x.tar").string() + " -C " +
                               (dir / "out").string() + " 2>&1");
  ASSERT_EQ(x.status, 0) << x.output;
  EXPECT_EQ(*ReadFile(dir / "out" / "big.bin"), std::string(1300, 'x'));
}

TEST(UstarTest, ReadsGnuTarUstarOnlyInTheCanonicalForm) {
  // GNU tar's ustar header for a root-owned 0644 file is byte-for-byte the
  // form we write, and its 10 KiB record padding is zero blocks: accepted.
  // Any other mode is not a header we would write: refused.
  testing::TempDir dir;
  std::string cmd = "cd " + dir.path().string() +
                    " && printf hi > f && tar --format=ustar --owner=root:0 --group=root:0"
                    " --mode=0644 -cf ok.tar f && tar --format=ustar --owner=root:0"
                    " --group=root:0 --mode=0755 -cf exec.tar f";
  ASSERT_EQ(testing::RunCommand(cmd).status, 0);
  auto ok = ustar::Unpack(*ReadFile(dir / "ok.tar"), 10, 100);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].data, "hi");
  auto exec = ustar::Unpack(*ReadFile(dir / "exec.tar"), 10, 100);
  ASSERT_FALSE(exec.has_value());
  EXPECT_NE(exec.error().message.find("archive member 1 (f)"), std::string::npos)
      << exec.error().message;
}

TEST(UstarTest, RejectsBadNames) {
  for (const std::string& name : std::vector<std::string>{"", "a/b", "..", std::string(100, 'n')}) {
    EXPECT_FALSE(ustar::Pack({{name, "x", 0}}).has_value()) << name;
  }
  EXPECT_TRUE(ustar::Pack({{std::string(99, 'n'), "x", 0}}).has_value());
}

TEST(UstarTest, StrictReader) {
  std::string packed = *ustar::Pack(Sample());
  auto err = [](std::string_view bytes, std::size_t max_members = 10, std::size_t max_size = 1 << 20) {
    auto r = ustar::Unpack(bytes, max_members, max_size);
    return r.has_value() ? std::string() : r.error().message;
  };
  EXPECT_NE(err(packed.substr(0, packed.size() - 512)).find("end-of-archive"), std::string::npos);
  EXPECT_NE(err(packed.substr(0, 1024 + 512)).find("truncated"), std::string::npos);
  EXPECT_NE(err(packed.substr(0, 100)).find("multiple of 512"), std::string::npos);
  EXPECT_NE(err(packed, 2).find("more than 2 members"), std::string::npos);
  EXPECT_NE(err(packed, 10, 1000).find("(big.bin): size 1300 over the limit"), std::string::npos);
  std::string bad_sum = packed;
  bad_sum[0] = 'b';  // name "b.txt": checksum no longer matches
  EXPECT_NE(err(bad_sum).find("header checksum mismatch"), std::string::npos);
  std::string bad_pad = packed;
  bad_pad[512 + 6] = 'y';  // padding after "hello\n"
  EXPECT_NE(err(bad_pad).find("non-zero padding"), std::string::npos);
  std::string trailing = packed + std::string(512, '\0');
  EXPECT_EQ(err(trailing), "");  // extra zero blocks are fine (tar records)
  trailing[trailing.size() - 1] = 1;
  EXPECT_NE(err(trailing).find("after the end-of-archive"), std::string::npos);
}

}  // namespace
}  // namespace lp
