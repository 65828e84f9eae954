#include "patchbuild/module_sign.hpp"

#include <gtest/gtest.h>
#include <openssl/cms.h>

#include "patchbuild/module_key.hpp"
#include "tests/patchbuild/test_module.hpp"

namespace lp::patchbuild {
namespace {

class ModuleSignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = GenerateModuleKey("test module key", 30);
    ASSERT_TRUE(key.has_value()) << key.error().message;
    key_ = *key;
    ASSERT_TRUE(WriteFileAtomic(dir_ / "module.key", key_.key_pem, 0600).has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "module.crt", key_.cert_pem).has_value());
    auto ko = testing::MakeFakeModule(dir_.path(), "m.ko", "m");
    module_ = *ReadFile(ko);
    auto signer = ModuleSigner::Load(dir_ / "module.key", dir_ / "module.crt");
    ASSERT_TRUE(signer.has_value()) << signer.error().message;
    auto signed_module = signer->Sign(module_);
    ASSERT_TRUE(signed_module.has_value()) << signed_module.error().message;
    signed_ = *signed_module;
  }

  testing::TempDir dir_;
  ModuleKeyPem key_;
  std::string module_, signed_;
};

TEST_F(ModuleSignTest, AppendedSignatureParsesAsTheKernelDoes) {
  ASSERT_TRUE(signed_.ends_with("~Module signature appended~\n"));
  auto p = ParseModuleSignature(signed_);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->content_size, module_.size());
  EXPECT_EQ(signed_.substr(0, p->content_size), module_);
  EXPECT_EQ(p->info.id_type, kPkeyIdPkcs7);
  EXPECT_EQ(p->info.algo, 0);
  EXPECT_EQ(p->info.hash, 0);
  // module + DER + 12-byte info + 28-byte magic, nothing else.
  EXPECT_EQ(signed_.size(), module_.size() + p->info.sig_len + 12 + 28);
  // sig_len is big-endian in the 4 bytes just before the magic.
  std::size_t be = signed_.size() - 28 - 4;
  std::uint32_t sig_len = 0;
  for (int i = 0; i < 4; ++i) sig_len = sig_len << 8 | static_cast<std::uint8_t>(signed_[be + i]);
  EXPECT_EQ(sig_len, p->info.sig_len);
}

TEST_F(ModuleSignTest, CmsIsDetachedSha256WithoutAttributesOrCerts) {
  auto p = ParseModuleSignature(signed_);
  ASSERT_TRUE(p.has_value());
  BioPtr in(BIO_new_mem_buf(p->pkcs7_der.data(), static_cast<int>(p->pkcs7_der.size())));
  CmsPtr cms(d2i_CMS_bio(in.get(), nullptr));
  ASSERT_TRUE(cms);
  EXPECT_EQ(CMS_is_detached(cms.get()), 1);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())), NID_pkcs7_signed);
  STACK_OF(X509)* certs = CMS_get1_certs(cms.get());
  EXPECT_EQ(certs, nullptr);
  if (certs) sk_X509_pop_free(certs, X509_free);
  STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(cms.get());
  ASSERT_EQ(sk_CMS_SignerInfo_num(signers), 1);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(signers, 0);
  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  ASSERT_EQ(CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial), 1);
  EXPECT_EQ(keyid, nullptr);
  EXPECT_NE(issuer, nullptr);
  EXPECT_NE(serial, nullptr);
  EXPECT_LE(CMS_signed_get_attr_count(si), 0);
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
  ASSERT_NE(digest, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256);
}

TEST_F(ModuleSignTest, OpensslCmsVerifiesAndRejectsTamperedContent) {
  auto p = ParseModuleSignature(signed_);
  ASSERT_TRUE(p.has_value());
  ASSERT_TRUE(WriteFileAtomic(dir_ / "sig.der", p->pkcs7_der).has_value());
  ASSERT_TRUE(WriteFileAtomic(dir_ / "content", module_).has_value());
  std::string tampered = module_;
  tampered[tampered.size() / 2] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(dir_ / "tampered", tampered).has_value());
  auto verify = [&](const char* content) {
    return testing::Run("openssl cms -verify -binary -inform DER -in " + (dir_ / "sig.der").string() +
                        " -content " + (dir_ / content).string() + " -certfile " +
                        (dir_ / "module.crt").string() + " -nointern -noverify -out /dev/null");
  };
  auto good = verify("content");
  EXPECT_EQ(good.status, 0) << good.output;
  EXPECT_NE(good.output.find("Verification successful"), std::string::npos) << good.output;
  EXPECT_NE(verify("tampered").status, 0);
}

// The kernel's own scripts/sign-file, if a headers package ships it, must
// produce exactly our bytes: RSA PKCS#1 v1.5 is deterministic and there are
// no attributes (no signing time) to differ.
TEST_F(ModuleSignTest, ByteIdenticalToKernelSignFile) {
  std::filesystem::path sign_file;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/src", ec))
    if (std::filesystem::exists(e.path() / "scripts/sign-file")) sign_file = e.path() / "scripts/sign-file";
  if (sign_file.empty()) GTEST_SKIP() << "no /usr/src/linux-headers-*/scripts/sign-file";
  ASSERT_TRUE(WriteFileAtomic(dir_ / "copy.ko", module_).has_value());
  auto r = testing::Run(sign_file.string() + " sha256 " + (dir_ / "module.key").string() + " " +
                        (dir_ / "module.crt").string() + " " + (dir_ / "copy.ko").string());
  ASSERT_EQ(r.status, 0) << r.output;
  auto theirs = ReadFile(dir_ / "copy.ko");
  ASSERT_TRUE(theirs.has_value());
  EXPECT_EQ(*theirs, signed_);
}

TEST_F(ModuleSignTest, RefusesSigningTwiceAndMismatchedCert) {
  auto signer = ModuleSigner::FromPem(key_.key_pem, key_.cert_pem);
  ASSERT_TRUE(signer.has_value());
  auto twice = signer->Sign(signed_);
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message.find("already carries"), std::string::npos);
  auto other = GenerateModuleKey("other", 30);
  ASSERT_TRUE(other.has_value());
  auto mismatched = ModuleSigner::FromPem(key_.key_pem, other->cert_pem);
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_NE(mismatched.error().message.find("does not match"), std::string::npos);
  EXPECT_FALSE(ModuleSigner::FromPem("junk", key_.cert_pem).has_value());
}

TEST_F(ModuleSignTest, ParserRejectsMalformedTrailers) {
  auto err = [](const std::string& m) {
    auto p = ParseModuleSignature(m);
    return p.has_value() ? std::string() : p.error().message;
  };
  EXPECT_NE(err(module_).find("no \"~Module signature appended~\" marker"), std::string::npos);
  std::size_t info = signed_.size() - 28 - 12;
  std::string wrong_type = signed_;
  wrong_type[info + 2] = 1;  // PKEY_ID_X509
  EXPECT_NE(err(wrong_type).find("id_type"), std::string::npos);
  std::string nonzero = signed_;
  nonzero[info + 5] = 1;  // pad
  EXPECT_NE(err(nonzero).find("non-zero"), std::string::npos);
  std::string too_long = signed_;
  too_long[info + 8] = 0x7f;  // sig_len high byte
  EXPECT_NE(err(too_long).find("sig_len"), std::string::npos);
  EXPECT_NE(err(std::string("~Module signature appended~\n")).find("too short"), std::string::npos);
}

}  // namespace
}  // namespace lp::patchbuild
