#include "patchbuild/module_sign.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/file_util.hpp"

namespace lp::patchbuild {
namespace {

constexpr std::size_t kMaxPemBytes = 64 * 1024;

Error SignError(const std::string& what) {
  return MakeError(ErrorCode::kInternal, "module signature: " + what + ": " + TakeOpensslErrors());
}

std::string EncodeInfo(const ModuleSignatureInfo& info) {
  std::string out(kModuleSignatureInfoSize, '\0');
  out[0] = static_cast<char>(info.algo);
  out[1] = static_cast<char>(info.hash);
  out[2] = static_cast<char>(info.id_type);
  out[3] = static_cast<char>(info.signer_len);
  out[4] = static_cast<char>(info.key_id_len);
  for (int i = 0; i < 4; ++i)  // __be32 sig_len
    out[8 + i] = static_cast<char>(info.sig_len >> (24 - 8 * i) & 0xff);
  return out;
}

// Detached CMS SignedData over the module, as sign-file makes it: no
// certificates (the kernel has the key already), no S/MIME capabilities and
// no signed attributes (the kernel's PKCS#7 parser wants the plain digest
// signature), sha256, signer named by issuer and serial number.
Expected<std::string> CmsSign(std::string_view module, EVP_PKEY* key, X509* cert) {
  BioPtr content(BIO_new_mem_buf(module.data(), static_cast<int>(module.size())));
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr,
                      CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED));
  if (!content || !cms) return SignError("CMS_sign");
  if (!CMS_add1_signer(cms.get(), cert, key, EVP_sha256(),
                       CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR))
    return SignError("CMS_add1_signer");
  if (CMS_final(cms.get(), content.get(), nullptr, CMS_NOCERTS | CMS_BINARY) != 1)
    return SignError("CMS_final");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms.get()) != 1) return SignError("encoding CMS as DER");
  return MemBioContents(out.get());
}

}  // namespace

bool HasModuleSignature(std::string_view module) { return module.ends_with(kModuleSigMagic); }

Expected<ParsedModuleSignature> ParseModuleSignature(std::string_view m) {
  auto bad = [](const std::string& why) {
    return MakeError(ErrorCode::kParse, "module signature: " + why);
  };
  if (!HasModuleSignature(m)) return bad("no \"~Module signature appended~\" marker");
  std::size_t info_end = m.size() - kModuleSigMagic.size();
  if (info_end < kModuleSignatureInfoSize) return bad("file too short for the signature info");
  std::string_view raw = m.substr(info_end - kModuleSignatureInfoSize, kModuleSignatureInfoSize);
  ParsedModuleSignature p;
  p.info.algo = static_cast<std::uint8_t>(raw[0]);
  p.info.hash = static_cast<std::uint8_t>(raw[1]);
  p.info.id_type = static_cast<std::uint8_t>(raw[2]);
  p.info.signer_len = static_cast<std::uint8_t>(raw[3]);
  p.info.key_id_len = static_cast<std::uint8_t>(raw[4]);
  for (int i = 0; i < 4; ++i) p.info.sig_len = p.info.sig_len << 8 | static_cast<std::uint8_t>(raw[8 + i]);
  if (p.info.id_type != kPkeyIdPkcs7) return bad("id_type is not PKCS#7");
  bool zero = p.info.algo == 0 && p.info.hash == 0 && p.info.signer_len == 0 &&
              p.info.key_id_len == 0 && raw[5] == 0 && raw[6] == 0 && raw[7] == 0;
  if (!zero) return bad("PKCS#7 signature info has non-zero algo/hash/signer/key id/pad fields");
  std::size_t sig_end = info_end - kModuleSignatureInfoSize;
  if (p.info.sig_len == 0 || p.info.sig_len > sig_end) return bad("sig_len exceeds the file");
  p.content_size = sig_end - p.info.sig_len;
  p.pkcs7_der = std::string(m.substr(p.content_size, p.info.sig_len));
  return p;
}

Expected<ModuleSigner> ModuleSigner::FromPem(std::string_view key_pem, std::string_view cert_pem) {
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return MakeError(ErrorCode::kParse, "module signing key: " + TakeOpensslErrors());
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return MakeError(ErrorCode::kParse, "module certificate: " + TakeOpensslErrors());
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return MakeError(ErrorCode::kInvalidArgument,
                     "module certificate does not match the module signing key");
  return ModuleSigner(std::move(key), std::move(cert));
}

Expected<ModuleSigner> ModuleSigner::Load(const std::filesystem::path& key_file,
                                          const std::filesystem::path& cert_file) {
  auto key = ReadFile(key_file, kMaxPemBytes);
  if (!key) return key.error();
  auto cert = ReadFile(cert_file, kMaxPemBytes);
  if (!cert) return cert.error();
  auto signer = FromPem(*key, *cert);
  if (!signer) return signer.error().WithContext(key_file.string() + ", " + cert_file.string());
  return signer;
}

Expected<std::string> ModuleSigner::Sign(std::string_view module) const {
  if (HasModuleSignature(module))
    return MakeError(ErrorCode::kConflict, "module already carries a kernel module signature");
  auto der = CmsSign(module, key_.get(), cert_.get());
  if (!der) return der.error();
  ModuleSignatureInfo info;
  info.sig_len = static_cast<std::uint32_t>(der->size());
  std::string out(module);
  out += *der;
  out += EncodeInfo(info);
  out += kModuleSigMagic;
  return out;
}

}  // namespace lp::patchbuild
