#include "common/crypto.hpp"

#include <gtest/gtest.h>

#include "tests/common/test_helpers.hpp"

namespace lp {
namespace {

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HexTest, RoundTripAndErrors) {
  std::string bytes("\x00\x01\xfe\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "0001feff");
  auto back = HexDecode("0001FEff");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(Base64Test, KnownVectorsAndStrictness) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Z===").has_value());
  EXPECT_FALSE(Base64Decode("Zg=a").has_value());
  EXPECT_FALSE(Base64Decode("Zm 9").has_value());
}

TEST(Ed25519Test, SignVerifyAndTamper) {
  Ed25519Key key = testing::NewKey();
  auto sig = key.Sign("hello");
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(key.Verify("hello", *sig).has_value());
  auto bad = key.Verify("hellO", *sig);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kVerification);
  std::string flipped = *sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(key.Verify("hello", flipped).has_value());
  EXPECT_FALSE(key.Verify("hello", sig->substr(0, 63)).has_value());
}

TEST(Ed25519Test, PemRoundTripKeepsKeyId) {
  Ed25519Key key = testing::NewKey();
  auto priv_pem = key.PrivatePem();
  ASSERT_TRUE(priv_pem.has_value());
  auto priv = Ed25519Key::FromPrivatePem(*priv_pem);
  auto pub = Ed25519Key::FromPublicPem(key.PublicPem());
  ASSERT_TRUE(priv.has_value());
  ASSERT_TRUE(pub.has_value());
  EXPECT_TRUE(priv->has_private());
  EXPECT_FALSE(pub->has_private());
  EXPECT_EQ(priv->KeyId(), key.KeyId());
  EXPECT_EQ(pub->KeyId(), key.KeyId());
  EXPECT_EQ(key.KeyId().size(), 16u);
  auto sig = priv->Sign("m");
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(pub->Verify("m", *sig).has_value());
  EXPECT_FALSE(pub->Sign("m").has_value());
  EXPECT_FALSE(pub->PrivatePem().has_value());
}

TEST(Ed25519Test, RejectsGarbageAndOtherKeyTypes) {
  EXPECT_FALSE(Ed25519Key::FromPublicPem("not a pem").has_value());
  auto r = testing::RunCommand("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null");
  ASSERT_EQ(r.status, 0);
  auto ec = Ed25519Key::FromPrivatePem(r.output);
  ASSERT_FALSE(ec.has_value());
  EXPECT_NE(ec.error().message.find("not an Ed25519 key"), std::string::npos);
}

TEST(Ed25519Test, InteroperatesWithOpensslCli) {
  testing::TempDir dir;
  Ed25519Key key = testing::NewKey();
  std::FILE* f = std::fopen((dir / "k.pem").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(key.PrivatePem()->c_str(), f);
  std::fclose(f);
  auto pub = testing::RunCommand("openssl pkey -in " + (dir / "k.pem").string() + " -pubout");
  ASSERT_EQ(pub.status, 0);
  auto parsed = Ed25519Key::FromPublicPem(pub.output);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->KeyId(), key.KeyId());
}

}  // namespace
}  // namespace lp
