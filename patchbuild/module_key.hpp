// The key the kernel checks module signatures with: an RSA-2048 key and a
// self-signed X.509 certificate carrying the extensions the kernel's own
// certs/x509.genkey gives its build-time signing key. To make a kernel trust
// it, enroll the certificate (DER: `openssl x509 -in module.crt -outform DER`)
// with mokutil or build it into the kernel's trusted keys.
#pragma once

#include <ctime>
#include <string>

#include "common/error.hpp"

namespace lp::patchbuild {

struct ModuleKeyPem {
  std::string key_pem;   // PKCS#8 private key, unencrypted: keep it 0600
  std::string cert_pem;  // X.509 v3 certificate
};

// valid_days counts from now; the kernel itself does not check certificate
// validity periods for module signatures.
Expected<ModuleKeyPem> GenerateModuleKey(const std::string& common_name, long valid_days);

}  // namespace lp::patchbuild
