#include "patchbuild/module_key.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "patchbuild/openssl_handles.hpp"

namespace lp::patchbuild {
namespace {

constexpr unsigned kRsaBits = 2048;

Error X509Error(const std::string& what) {
  return MakeError(ErrorCode::kInternal, "module certificate: " + what + ": " + TakeOpensslErrors());
}

// A random positive 63-bit serial: issuer+serial is how the module signature
// names its signer, so two keys made by two `keys init` runs must differ.
Status SetRandomSerial(X509* cert) {
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1)
    return X509Error("random serial");
  serial = (serial >> 1) | 1;
  if (ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) != 1)
    return X509Error("setting serial");
  return Ok();
}

Status SetSelfSignedName(X509* cert, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                      0) == 1;
  };
  if (!add("O", "fleetpatch") || !add("CN", common_name) || X509_set_issuer_name(cert, name) != 1)
    return X509Error("setting subject");
  return Ok();
}

// The [ myexts ] section of the kernel's certs/x509.genkey. The subject key
// identifier must exist before the authority key identifier refers to it.
Status AddModuleSigningExtensions(X509* cert, EVP_PKEY* key) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  // OpenSSL 3 leaves a self-signed certificate's authority key id empty
  // unless asked for "keyid:always" and given the issuer key.
  if (X509V3_set_issuer_pkey(&ctx, key) != 1) return X509Error("issuer key");
  const std::pair<int, const char*> kExtensions[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : kExtensions) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
      return X509Error(std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return Ok();
}

Expected<X509Ptr> MakeCertificate(EVP_PKEY* key, const std::string& common_name, long valid_days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return X509Error("X509_new");
  LP_TRY(SetRandomSerial(cert.get()));
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(valid_days), 0, nullptr) ||
      X509_set_pubkey(cert.get(), key) != 1)
    return X509Error("validity/public key");
  LP_TRY(SetSelfSignedName(cert.get(), common_name));
  LP_TRY(AddModuleSigningExtensions(cert.get(), key));
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return X509Error("self-signing");
  return cert;
}

}  // namespace

Expected<ModuleKeyPem> GenerateModuleKey(const std::string& common_name, long valid_days) {
  EvpPkeyPtr key(EVP_RSA_gen(kRsaBits));
  if (!key) return X509Error("generating RSA key");
  auto cert = MakeCertificate(key.get(), common_name, valid_days);
  if (!cert) return cert.error();
  BioPtr key_bio(BIO_new(BIO_s_mem())), cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_bio.get(), cert->get()) != 1)
    return X509Error("writing PEM");
  return ModuleKeyPem{MemBioContents(key_bio.get()), MemBioContents(cert_bio.get())};
}

}  // namespace lp::patchbuild
