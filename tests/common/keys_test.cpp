#include "common/keys.hpp"

#include <gtest/gtest.h>

#include "tests/common/test_helpers.hpp"

namespace lp {
namespace {

using testing::kNow;
using testing::SignedWorld;

TEST(TimeTest, FormatAndParse) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(1795000000), "2026-11-18T11:06:40Z");
  auto t = ParseTime("2024-02-29T23:59:59Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatTime(*t), "2024-02-29T23:59:59Z");
  for (const char* bad : {"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-18T24:00:00Z",
                          "2026-11-18T10:00:00+01:00", "2026-11-18t10:00:00Z", "2026-11-18T10:00:00",
                          "", "2026-11-18T10:00:0xZ"})
    EXPECT_FALSE(ParseTime(bad).has_value()) << bad;
}

TEST(KeysDocumentTest, RoundTripAndVerify) {
  SignedWorld w;
  auto parsed = ParseKeysDocument(w.keys_json);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, w.doc);
  EXPECT_EQ(SerializeKeysDocument(*parsed), w.keys_json);
  auto verified = VerifyKeysDocument(w.keys_json, w.keys_sig, w.root, kNow);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->version, 7u);
}

TEST(KeysDocumentTest, RefusesExpired) {
  SignedWorld w;
  auto r = VerifyKeysDocument(w.keys_json, w.keys_sig, w.root, kNow + 86400);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kVerification);
  EXPECT_NE(r.error().message.find("expired"), std::string::npos) << r.error().message;
  EXPECT_TRUE(VerifyKeysDocument(w.keys_json, w.keys_sig, w.root, kNow + 86399).has_value());
}

TEST(KeysDocumentTest, RefusesWrongRootAndTamper) {
  SignedWorld w;
  Ed25519Key other = testing::NewKey();
  auto r = VerifyKeysDocument(w.keys_json, w.keys_sig, other, kNow);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("keys document signature"), std::string::npos);
  std::string tampered = w.keys_json;
  tampered[tampered.find("\"version\":7") + 10] = '8';
  EXPECT_FALSE(VerifyKeysDocument(tampered, w.keys_sig, w.root, kNow).has_value());
}

TEST(KeysDocumentTest, StrictParse) {
  SignedWorld w;
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string s = w.keys_json;
    auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    s.replace(pos, from.size(), to);
    auto r = ParseKeysDocument(s);
    return r.has_value() ? std::string() : r.error().message;
  };
  EXPECT_NE(edit("\"schema\":1", "\"schema\":9").find("unknown schema"), std::string::npos);
  EXPECT_NE(edit("\"role\":\"patch\"", "\"role\":\"admin\"").find("keys[0].role"), std::string::npos);
  EXPECT_NE(edit("\"id\":\"" + w.patch.KeyId(), "\"id\":\"" + w.portal.KeyId()).find("keys[0].id"),
            std::string::npos);
  EXPECT_NE(edit("\"version\":7,", "").find("'version': missing"), std::string::npos);
  EXPECT_NE(edit("\"expires\":\"", "\"expires\":\"x").find("'expires'"), std::string::npos);
}

TEST(TrustStoreTest, VerifiesManifestAndRefusesUnknownOrWrongRoleKeys) {
  SignedWorld w;
  TrustStore trust(w.doc);
  auto good = w.Parts("mod", w.patch);
  auto m = trust.VerifyManifest(good.manifest_json, good.manifest_sig);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->signing_key_id, w.patch.KeyId());

  Ed25519Key stranger = testing::NewKey();
  auto unknown = w.Parts("mod", stranger);
  auto r1 = trust.VerifyManifest(unknown.manifest_json, unknown.manifest_sig);
  ASSERT_FALSE(r1.has_value());
  EXPECT_NE(r1.error().message.find("no key of keys document version 7 verifies it"), std::string::npos)
      << r1.error().message;

  auto portal_signed = w.Parts("mod", w.portal);
  auto r2 = trust.VerifyManifest(portal_signed.manifest_json, portal_signed.manifest_sig);
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message.find("has role portal, not patch"), std::string::npos)
      << r2.error().message;

  // Right key id named, wrong signature bytes.
  auto r3 = trust.VerifyManifest(good.manifest_json, unknown.manifest_sig);
  ASSERT_FALSE(r3.has_value());
  EXPECT_NE(r3.error().message.find("manifest signature"), std::string::npos);
}

TEST(TrustStoreTest, PortalSignatures) {
  SignedWorld w;
  TrustStore trust(w.doc);
  std::string answer = "{\"patches\":[]}";
  EXPECT_TRUE(trust.VerifyPortalSignature(answer, *w.portal.Sign(answer), w.portal.KeyId()).has_value());
  EXPECT_FALSE(trust.VerifyPortalSignature(answer, *w.patch.Sign(answer), w.patch.KeyId()).has_value());
  EXPECT_FALSE(trust.VerifyPortalSignature(answer + " ", *w.portal.Sign(answer), w.portal.KeyId()).has_value());
}

}  // namespace
}  // namespace lp

namespace lp {
namespace {

// Neither an unsigned nor a signed hostile manifest may crash verification.
// The signature is checked first; then the manifest must name the key that
// verified it.
TEST(TrustStoreHardeningTest, ManifestMustNameTheKeyThatSignedIt) {
  SignedWorld w;
  TrustStore trust(w.doc);
  Manifest m = testing::SampleManifest("mod", "0123456789abcdef");  // names a key it was not signed with
  std::string json = SerializeManifest(m);
  auto r = trust.VerifyManifest(json, *w.patch.Sign(json));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kVerification);
  EXPECT_NE(r.error().message.find("names 0123456789abcdef but was signed by patch key " + w.patch.KeyId()),
            std::string::npos)
      << r.error().message;
}

TEST(TrustStoreHardeningTest, KeysDocumentVersionNeverGoesBack) {
  EXPECT_TRUE(CheckKeysDocumentVersion(5, 5));
  EXPECT_TRUE(CheckKeysDocumentVersion(6, 5));
  auto st = CheckKeysDocumentVersion(4, 5);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("keys document version 4 is older than version 5"), std::string::npos);
}

TEST(KeysDocumentHardeningTest, TooManyKeysOrAnOversizedPemIsRefused) {
  SignedWorld w;
  KeysDocument doc = w.doc;
  while (doc.keys.size() <= kMaxKeys) doc.keys.push_back(doc.keys[0]);
  auto r = ParseKeysDocument(SerializeKeysDocument(doc));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("more than the limit of " + std::to_string(kMaxKeys)), std::string::npos)
      << r.error().message;
  doc = w.doc;
  doc.keys[0].public_pem += std::string(kMaxPublicPemLength, 'A');
  r = ParseKeysDocument(SerializeKeysDocument(doc));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("public_pem"), std::string::npos) << r.error().message;
}

TEST(TrustStoreHardeningTest, HugeCveIdAndOversizeAreOneLineErrors) {
  SignedWorld w;
  TrustStore trust(w.doc);
  Ed25519Key stranger = testing::NewKey();
  for (std::size_t description : {std::size_t{0}, kMaxManifestBytes}) {
    std::string json = testing::HostileManifestJson(w.patch.KeyId(), description);
    for (const Ed25519Key* signer : {&w.patch, &stranger}) {
      auto r = trust.VerifyManifest(json, *signer->Sign(json));
      ASSERT_FALSE(r.has_value());
      EXPECT_TRUE(testing::IsOneLine(r.error().message));
    }
  }
}

}  // namespace
}  // namespace lp
