#include "eportal/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

namespace lp::eportal {
namespace {

std::string Hex(const unsigned char* p, std::size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string Sha256Of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest with sha256 cannot fail short of memory exhaustion.
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

std::string RandomSecret(std::string_view prefix, std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  // Without randomness no credential is safe to hand out: stop rather than
  // issue a guessable one.
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) std::abort();
  return std::string(prefix) + Hex(buf.data(), buf.size());
}

bool SecretEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace lp::eportal
