// The keys document (a small TUF-like root of trust, DESIGN.md "Trust"):
// signed by the offline root key, it lists which keys may sign patches and
// which key is the portal's online key, with a version and an expiry.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/manifest.hpp"

namespace lp {

enum class KeyRole { kPatch, kPortal };

// Bounds on the keys document (it is parsed only after the root signature
// over its bytes verifies, but a root-signed document is bounded too).
inline constexpr std::size_t kMaxKeysDocumentBytes = 1u << 20;
inline constexpr std::size_t kMaxKeys = 64;
inline constexpr std::size_t kKeyIdLength = 16;           // Ed25519Key::KeyId()
inline constexpr std::size_t kMaxRoleLength = 16;
inline constexpr std::size_t kMaxPublicPemLength = 1024;  // an Ed25519 PEM is 113 bytes

struct KeyEntry {
  std::string id;          // Ed25519Key::KeyId()
  KeyRole role = KeyRole::kPatch;
  std::string public_pem;  // PEM "PUBLIC KEY"
  bool operator==(const KeyEntry&) const = default;
};

struct KeysDocument {
  int schema = 1;
  std::uint64_t version = 1;
  std::string expires;  // RFC 3339 UTC
  std::vector<KeyEntry> keys;
  bool operator==(const KeysDocument&) const = default;
};

std::string SerializeKeysDocument(const KeysDocument& doc);  // canonical JSON
Expected<KeysDocument> ParseKeysDocument(std::string_view bytes);

// Verifies sig over bytes with the root key, parses, and refuses an expired
// document (now is injected for tests).
Expected<KeysDocument> VerifyKeysDocument(std::string_view bytes, std::string_view sig,
                                          const Ed25519Key& root, std::time_t now);

// TUF's rule: a device never goes back to an older keys document. Refuses
// (kVerification, naming both versions) a version below highest_seen.
Status CheckKeysDocumentVersion(std::uint64_t version, std::uint64_t highest_seen);

// A verified keys document, ready to check manifests and portal answers.
class TrustStore {
 public:
  explicit TrustStore(KeysDocument doc) : doc_(std::move(doc)) {}
  const KeysDocument& document() const { return doc_; }

  // The key with this id and role, or kVerification "unknown key".
  Expected<Ed25519Key> FindKey(std::string_view id, KeyRole role) const;

  // Checks the manifest signature over the raw bytes with the document's
  // keys, then parses and requires the manifest to name the patch key that
  // verified it. Nothing is parsed before a signature verifies.
  Expected<Manifest> VerifyManifest(std::string_view manifest_bytes, std::string_view sig) const;

  // Checks a portal-signed payload (check-in answer) with the portal key.
  Status VerifyPortalSignature(std::string_view bytes, std::string_view sig,
                               std::string_view key_id) const;

 private:
  KeysDocument doc_;
};

// RFC 3339 UTC <-> time_t ("2026-11-23T10:00:00Z").
std::string FormatTime(std::time_t t);
Expected<std::time_t> ParseTime(std::string_view text);

}  // namespace lp
