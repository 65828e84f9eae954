#include "common/bundle.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/file_util.hpp"
#include "common/ustar.hpp"
#include "tests/common/test_helpers.hpp"

namespace lp {
namespace {

using testing::kNow;
using testing::SignedWorld;

std::string ModuleBytes(std::size_t n) {
  std::string m;
  for (std::size_t i = 0; i < n; ++i) m += static_cast<char>(i * 31 + 7);
  return m;
}

TEST(BundleTest, RoundTrip) {
  SignedWorld w;
  std::string module = ModuleBytes(3000);
  auto verified = VerifyBundle(w.Bundle(module), w.root, kNow);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->parts.module_bytes, module);
  EXPECT_EQ(verified->parts.module_file, "lp_cmdline.ko");
  EXPECT_EQ(verified->manifest.patch_id, "lp-cmdline");
  EXPECT_EQ(verified->keys.version, 7u);
}

TEST(BundleTest, TarListsMembers) {
  SignedWorld w;
  testing::TempDir dir;
  ASSERT_TRUE(WriteBundle(dir / "x.bundle", w.Parts(ModuleBytes(100), w.patch)).has_value());
  auto list = testing::RunCommand("tar -tf " + (dir / "x.bundle").string());
  EXPECT_EQ(list.status, 0);
  EXPECT_EQ(list.output, "manifest.json\nmanifest.sig\nkeys.json\nkeys.json.sig\nlp_cmdline.ko\n");
  auto read = ReadBundle(dir / "x.bundle", w.root, kNow);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  auto missing = ReadBundle(dir / "nope.bundle", w.root, kNow);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// Every single-byte change anywhere in the bundle must be refused, with a
// message. The module is small, so this walks every byte.
TEST(BundleTest, FlippingAnyByteIsRefused) {
  SignedWorld w;
  std::string bundle = w.Bundle(ModuleBytes(200));
  ASSERT_TRUE(VerifyBundle(bundle, w.root, kNow).has_value());
  std::size_t refused = 0;
  for (std::size_t i = 0; i < bundle.size(); ++i) {
    std::string tampered = bundle;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto r = VerifyBundle(tampered, w.root, kNow);
    ASSERT_FALSE(r.has_value()) << "flip at offset " << i << " was accepted";
    EXPECT_FALSE(r.error().message.empty());
    ++refused;
  }
  EXPECT_EQ(refused, bundle.size());
}

TEST(BundleTest, FlippingOtherBitsIsRefused) {
  SignedWorld w;
  std::string bundle = w.Bundle(ModuleBytes(5000));
  for (std::size_t i = 0; i < bundle.size(); i += 7) {
    std::string tampered = bundle;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x80);
    ASSERT_FALSE(VerifyBundle(tampered, w.root, kNow).has_value()) << "offset " << i;
  }
}

TEST(BundleTest, MessagesNameWhatFailed) {
  SignedWorld w;
  std::string module = ModuleBytes(600);
  std::string bundle = w.Bundle(module);
  auto message_after_flip = [&](std::string_view member_text) {
    std::string t = bundle;
    std::size_t pos = t.find(member_text);
    EXPECT_NE(pos, std::string::npos);
    t[pos] ^= 1;
    auto r = VerifyBundle(t, w.root, kNow);
    return r.has_value() ? std::string() : r.error().message;
  };
  EXPECT_NE(message_after_flip(module.substr(100, 16)).find("module sha256"), std::string::npos);
  EXPECT_NE(message_after_flip("\"description\"").find("manifest"), std::string::npos);
  EXPECT_NE(message_after_flip("\"version\":7").find("keys document signature"), std::string::npos);
  EXPECT_NE(message_after_flip("manifest.sig").find("header checksum"), std::string::npos);
}

TEST(BundleTest, RandomDamageIsRefusedNeverCrashes) {
  SignedWorld w;
  std::string bundle = w.Bundle(ModuleBytes(1500));
  std::mt19937 rng(777);
  for (int i = 0; i < 500; ++i) {
    std::string t = bundle;
    int changes = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < changes; ++k) {
      std::size_t pos = rng() % t.size();
      auto old_byte = t[pos];
      while (t[pos] == old_byte) t[pos] = static_cast<char>(rng());
    }
    auto r = VerifyBundle(t, w.root, kNow);
    ASSERT_FALSE(r.has_value()) << "damage round " << i << " accepted";
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(BundleTest, RefusesTruncation) {
  SignedWorld w;
  std::string bundle = w.Bundle(ModuleBytes(2000));
  for (std::size_t cut = 0; cut < bundle.size(); cut += 256) {
    auto r = VerifyBundle(std::string_view(bundle).substr(0, cut), w.root, kNow);
    ASSERT_FALSE(r.has_value()) << "cut at " << cut;
  }
}

TEST(BundleTest, RefusesExpiredKeysWrongRootAndForeignSigner) {
  SignedWorld w;
  std::string bundle = w.Bundle(ModuleBytes(100));
  auto expired = VerifyBundle(bundle, w.root, kNow + 2 * 86400);
  ASSERT_FALSE(expired.has_value());
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  auto wrong_root = VerifyBundle(bundle, w.patch, kNow);
  ASSERT_FALSE(wrong_root.has_value());
  EXPECT_NE(wrong_root.error().message.find("keys document signature"), std::string::npos);
  Ed25519Key stranger = testing::NewKey();
  auto foreign = VerifyBundle(*PackBundle(w.Parts(ModuleBytes(100), stranger)), w.root, kNow);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_NE(foreign.error().message.find("no key of keys document version 7 verifies it"), std::string::npos)
      << foreign.error().message;
  auto portal = VerifyBundle(*PackBundle(w.Parts(ModuleBytes(100), w.portal)), w.root, kNow);
  ASSERT_FALSE(portal.has_value());
  EXPECT_NE(portal.error().message.find("not patch"), std::string::npos);
}

std::string PackMembers(const std::vector<ustar::Member>& members) {
  auto p = ustar::Pack(members);
  EXPECT_TRUE(p.has_value());
  return p.has_value() ? *p : std::string();
}

TEST(BundleTest, RefusesUnexpectedDuplicateAndMissingMembers) {
  SignedWorld w;
  BundleParts parts = w.Parts(ModuleBytes(100), w.patch);
  std::vector<ustar::Member> good = {{"manifest.json", parts.manifest_json, 0},
                                     {"manifest.sig", parts.manifest_sig, 0},
                                     {"keys.json", parts.keys_json, 0},
                                     {"keys.json.sig", parts.keys_sig, 0},
                                     {"lp_cmdline.ko", parts.module_bytes, 0}};
  ASSERT_TRUE(VerifyBundle(PackMembers(good), w.root, kNow).has_value());
  auto msg = [&](std::vector<ustar::Member> members) {
    auto r = VerifyBundle(PackMembers(members), w.root, kNow);
    return r.has_value() ? std::string() : r.error().message;
  };
  auto dup = good;
  dup[4] = dup[0];
  EXPECT_NE(msg(dup).find("duplicate member manifest.json"), std::string::npos);
  auto unexpected = good;
  unexpected[4].name = "evil.sh";
  EXPECT_NE(msg(unexpected).find("unexpected member evil.sh"), std::string::npos);
  auto missing = good;
  missing.erase(missing.begin() + 1);
  EXPECT_NE(msg(missing).find("missing member manifest.sig"), std::string::npos);
  auto extra = good;
  extra.push_back({"other.ko", "x", 0});
  EXPECT_NE(msg(extra).find("more than 5 members"), std::string::npos);
  auto renamed = good;
  renamed[4].name = "other.ko";
  EXPECT_NE(msg(renamed).find("module file name"), std::string::npos);
  auto big_sig = good;
  big_sig[1].data = std::string(2000, 's');
  EXPECT_NE(msg(big_sig).find("manifest.sig is larger than"), std::string::npos);
}

TEST(BundleTest, RefusesSizeMismatch) {
  SignedWorld w;
  std::string module = ModuleBytes(100);
  Manifest m = testing::SampleManifest(module, w.patch.KeyId());
  m.module_size = 99;
  BundleParts parts = w.Parts(module, w.patch);
  parts.manifest_json = SerializeManifest(m);
  parts.manifest_sig = *w.patch.Sign(parts.manifest_json);
  auto r = VerifyBundle(*PackBundle(parts), w.root, kNow);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("module size"), std::string::npos);
}

}  // namespace
}  // namespace lp

namespace lp {
namespace {

// Packed by hand: PackBundle itself refuses a manifest it cannot parse.
std::string HostileBundle(const SignedWorld& w, const Ed25519Key& signer, std::size_t description) {
  std::string json = testing::HostileManifestJson(signer.KeyId(), description);
  auto packed = ustar::Pack({{"manifest.json", json, 0},
                             {"manifest.sig", *signer.Sign(json), 0},
                             {"keys.json", w.keys_json, 0},
                             {"keys.json.sig", w.keys_sig, 0},
                             {"lp_cmdline.ko", "module bytes", 0}});
  EXPECT_TRUE(packed.has_value());
  return packed.has_value() ? *packed : std::string();
}

TEST(BundleHardeningTest, HugeCveIdAndOversizeManifestAreOneLineErrors) {
  SignedWorld w;
  Ed25519Key stranger = testing::NewKey();
  for (std::size_t description : {std::size_t{0}, kMaxManifestBytes}) {
    for (const Ed25519Key* signer : {&w.patch, &stranger}) {
      auto r = VerifyBundle(HostileBundle(w, *signer, description), w.root, kNow);
      ASSERT_FALSE(r.has_value());
      EXPECT_TRUE(testing::IsOneLine(r.error().message));
    }
  }
}

}  // namespace
}  // namespace lp
