#include "patchbuild/key_dir.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "common/keys.hpp"
#include "patchbuild/openssl_handles.hpp"
#include "tests/patchbuild/test_module.hpp"

namespace lp::patchbuild {
namespace {

constexpr std::time_t kNow = 1795000000;

unsigned Mode(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(KeyDirTest, WritesAllKeysWithPrivateModes) {
  testing::TempDir tmp;
  auto dir = tmp / "keys";
  ASSERT_TRUE(key_dir::Init(dir, 30, kNow).has_value());
  EXPECT_EQ(Mode(dir), 0700u);
  for (const char* priv : {"root.key", "patch.key", "portal.key", "module.key"})
    EXPECT_EQ(Mode(dir / priv) & 077, 0u) << priv;
  for (const char* pub : {"root.pub", "patch.pub", "portal.pub", "module.crt", "keys.json", "keys.json.sig"})
    EXPECT_TRUE(std::filesystem::exists(dir / pub)) << pub;
}

TEST(KeyDirTest, KeysDocumentIsRootSignedAndListsPatchAndPortal) {
  testing::TempDir tmp;
  ASSERT_TRUE(key_dir::Init(tmp.path(), 30, kNow).has_value());  // empty dir is fine
  auto root = Ed25519Key::LoadPublic(tmp / "root.pub");
  auto patch = Ed25519Key::LoadPrivate(tmp / "patch.key");
  auto portal = Ed25519Key::LoadPublic(tmp / "portal.pub");
  ASSERT_TRUE(root && patch && portal);
  auto doc = VerifyKeysDocument(*ReadFile(tmp / "keys.json"), *ReadFile(tmp / "keys.json.sig"), *root, kNow);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->expires, FormatTime(kNow + 30 * 86400));
  TrustStore trust(*doc);
  EXPECT_TRUE(trust.FindKey(patch->KeyId(), KeyRole::kPatch).has_value());
  EXPECT_TRUE(trust.FindKey(portal->KeyId(), KeyRole::kPortal).has_value());
  EXPECT_FALSE(trust.FindKey(root->KeyId(), KeyRole::kPatch).has_value());
  EXPECT_FALSE(VerifyKeysDocument(*ReadFile(tmp / "keys.json"), *ReadFile(tmp / "keys.json.sig"),
                                  *root, kNow + 31 * 86400).has_value());
}

TEST(KeyDirTest, ModuleCertificateHasKernelSigningExtensions) {
  testing::TempDir tmp;
  ASSERT_TRUE(key_dir::Init(tmp.path(), 30, kNow).has_value());
  std::string pem = *ReadFile(tmp / "module.crt");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), 2);  // v3
  std::uint32_t flags = X509_get_extension_flags(cert.get());
  EXPECT_TRUE(flags & EXFLAG_BCONS);
  EXPECT_FALSE(flags & EXFLAG_CA);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_EQ(crit, 1);
  BASIC_CONSTRAINTS_free(bc);
}

TEST(KeyDirTest, RefusesNonEmptyDirectoryAndBadExpiry) {
  testing::TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp / "precious", "x").has_value());
  auto st = key_dir::Init(tmp.path(), 30, kNow);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_NE(st.error().message.find("not empty"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp / "root.key"));
  EXPECT_FALSE(key_dir::Init(tmp / "new", 0, kNow).has_value());
}

}  // namespace
}  // namespace lp::patchbuild
