// Hashes and Ed25519 signatures through OpenSSL's EVP API.
// Signatures are raw 64-byte Ed25519 signatures over the exact bytes given.
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/raii.hpp"

namespace lp {

using EvpPkeyPtr = CPtr<EVP_PKEY, &EVP_PKEY_free>;

std::string Sha256Hex(std::string_view data);

// Drains OpenSSL's per-thread error queue into one message, so the next
// unrelated call does not see stale errors. Shared by every OpenSSL caller.
std::string TakeOpensslErrors();

// Lowercase hex <-> bytes; base64 (standard alphabet, padded, no newlines).
std::string HexEncode(std::string_view bytes);
Expected<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
Expected<std::string> Base64Decode(std::string_view text);

// An Ed25519 key pair or public key. Move-only owner of an EVP_PKEY.
class Ed25519Key {
 public:
  static Expected<Ed25519Key> Generate();
  static Expected<Ed25519Key> FromPrivatePem(std::string_view pem);
  static Expected<Ed25519Key> FromPublicPem(std::string_view pem);
  static Expected<Ed25519Key> LoadPrivate(const std::filesystem::path& pem_file);
  static Expected<Ed25519Key> LoadPublic(const std::filesystem::path& pem_file);

  bool has_private() const { return has_private_; }
  std::string PublicPem() const;
  Expected<std::string> PrivatePem() const;
  // Stable key id: first 16 hex chars of sha256 over the raw 32-byte public key.
  std::string KeyId() const;

  Expected<std::string> Sign(std::string_view message) const;
  // kVerification error with a reason when the signature does not match.
  Status Verify(std::string_view message, std::string_view signature) const;

 private:
  Ed25519Key(EvpPkeyPtr key, bool has_private) : key_(std::move(key)), has_private_(has_private) {}
  EvpPkeyPtr key_;
  bool has_private_ = false;
};

}  // namespace lp
