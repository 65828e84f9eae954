// The kernel's own module signature, appended to a .ko exactly as the
// kernel's scripts/sign-file does, so kernels that enforce signatures
// (MODULE_SIG_FORCE, lockdown) load the module once the key is enrolled:
//
//   <module bytes> <PKCS#7/CMS SignedData, DER, detached, sha256, no signed
//   attributes, signer by issuer+serial> <struct module_signature>
//   "~Module signature appended~\n"
//
// struct module_signature (include/linux/module_signature.h) is 12 bytes:
// algo, hash, id_type (2 = PKEY_ID_PKCS7), signer_len, key_id_len, pad[3]
// (all 0 but id_type) and the big-endian length of the CMS blob.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "patchbuild/openssl_handles.hpp"

namespace lp::patchbuild {

inline constexpr std::string_view kModuleSigMagic = "~Module signature appended~\n";
inline constexpr std::uint8_t kPkeyIdPkcs7 = 2;
inline constexpr std::size_t kModuleSignatureInfoSize = 12;

struct ModuleSignatureInfo {
  std::uint8_t algo = 0;
  std::uint8_t hash = 0;
  std::uint8_t id_type = kPkeyIdPkcs7;
  std::uint8_t signer_len = 0;
  std::uint8_t key_id_len = 0;
  std::uint32_t sig_len = 0;
};

struct ParsedModuleSignature {
  std::size_t content_size = 0;  // module bytes covered by the signature
  ModuleSignatureInfo info;
  std::string pkcs7_der;
};

// True when the file ends with the signature magic (what the kernel checks first).
bool HasModuleSignature(std::string_view module);

// Splits a signed module the way the kernel's mod_check_sig() does and applies
// the same checks (PKCS#7 id type, zero fields, length within the file).
Expected<ParsedModuleSignature> ParseModuleSignature(std::string_view signed_module);

// A module-signing key and its X.509 certificate (PEM), loaded once and used
// for any number of modules. Move-only.
class ModuleSigner {
 public:
  static Expected<ModuleSigner> FromPem(std::string_view key_pem, std::string_view cert_pem);
  static Expected<ModuleSigner> Load(const std::filesystem::path& key_file,
                                     const std::filesystem::path& cert_file);

  // Returns module + signature + info block + magic. Refuses a module that
  // already carries a signature (the kernel would only check the last one).
  Expected<std::string> Sign(std::string_view module) const;

 private:
  ModuleSigner(EvpPkeyPtr key, X509Ptr cert) : key_(std::move(key)), cert_(std::move(cert)) {}
  EvpPkeyPtr key_;
  X509Ptr cert_;
};

}  // namespace lp::patchbuild
