#include "common/keys.hpp"

#include "common/json_fields.hpp"

namespace lp {
namespace {

using json_fields::Json;
using json_fields::OrderedJson;

constexpr int kKeysSchema = 1;

const char* RoleName(KeyRole role) { return role == KeyRole::kPatch ? "patch" : "portal"; }

Error FieldError(const std::string& field, const std::string& problem) {
  return MakeError(ErrorCode::kParse, "field '" + field + "': " + problem);
}

Expected<KeyEntry> ParseKeyEntry(const Json& j, const std::string& path) {
  if (!j.is_object()) return FieldError(path, "must be an object");
  LP_TRY(json_fields::RequireExactKeys(j, {"id", "role", "public_pem"}, path));
  auto id = json_fields::GetString(j, "id", path, kKeyIdLength);
  if (!id) return id.error();
  auto role = json_fields::GetString(j, "role", path, kMaxRoleLength);
  if (!role) return role.error();
  auto pem = json_fields::GetString(j, "public_pem", path, kMaxPublicPemLength);
  if (!pem) return pem.error();
  KeyEntry entry{*id, KeyRole::kPatch, *pem};
  if (*role == "portal") entry.role = KeyRole::kPortal;
  else if (*role != "patch") return FieldError(path + ".role", "must be \"patch\" or \"portal\"");
  // The id is derived from the key; a mismatch would let a document claim
  // one key while carrying another.
  auto key = Ed25519Key::FromPublicPem(*pem);
  if (!key) return FieldError(path + ".public_pem", key.error().message);
  if (key->KeyId() != entry.id)
    return FieldError(path + ".id", "does not match the key (its id is " + key->KeyId() + ")");
  return entry;
}

}  // namespace

std::string SerializeKeysDocument(const KeysDocument& doc) {
  OrderedJson j;
  j["schema"] = doc.schema;
  j["version"] = doc.version;
  j["expires"] = doc.expires;
  j["keys"] = OrderedJson::array();
  for (const auto& k : doc.keys)
    j["keys"].push_back(
        OrderedJson{{"id", k.id}, {"role", RoleName(k.role)}, {"public_pem", k.public_pem}});
  return json_fields::DumpCanonical(j);
}

Expected<KeysDocument> ParseKeysDocument(std::string_view bytes) {
  auto parsed = json_fields::ParseObject(bytes, kMaxKeysDocumentBytes, "keys document");
  if (!parsed) return parsed.error();
  const Json& j = *parsed;
  auto schema = json_fields::GetUint(j, "schema", "");
  if (!schema) return schema.error();
  if (*schema != kKeysSchema)
    return FieldError("schema", "unknown schema " + std::to_string(*schema));
  LP_TRY(json_fields::RequireExactKeys(j, {"schema", "version", "expires", "keys"}, ""));
  KeysDocument doc;
  auto version = json_fields::GetUint(j, "version", "");
  if (!version) return version.error();
  doc.version = *version;
  auto expires = json_fields::GetString(j, "expires", "", kMaxTimeLength);
  if (!expires) return expires.error();
  if (auto t = ParseTime(*expires); !t) return FieldError("expires", t.error().message);
  doc.expires = *expires;
  auto keys = json_fields::GetArray(j, "keys", "", kMaxKeys);
  if (!keys) return keys.error();
  for (std::size_t i = 0; i < (*keys)->size(); ++i) {
    auto entry = ParseKeyEntry((**keys)[i], "keys[" + std::to_string(i) + "]");
    if (!entry) return entry.error();
    for (const auto& seen : doc.keys)
      if (seen.id == entry->id)
        return FieldError("keys[" + std::to_string(i) + "].id", "duplicate key " + entry->id);
    doc.keys.push_back(*entry);
  }
  return doc;
}

Expected<KeysDocument> VerifyKeysDocument(std::string_view bytes, std::string_view sig,
                                          const Ed25519Key& root, std::time_t now) {
  if (auto st = root.Verify(bytes, sig); !st)
    return st.error().WithContext("keys document signature (root key " + root.KeyId() + ")");
  auto doc = ParseKeysDocument(bytes);
  if (!doc) return doc.error().WithContext("keys document");
  auto expires = ParseTime(doc->expires);  // validated by the parse
  if (!expires || *expires <= now)
    return MakeError(ErrorCode::kVerification,
                     "keys document expired at " + doc->expires + " (now " + FormatTime(now) + ")");
  return doc;
}

Status CheckKeysDocumentVersion(std::uint64_t version, std::uint64_t highest_seen) {
  if (version >= highest_seen) return Ok();
  return MakeError(ErrorCode::kVerification, "keys document version " + std::to_string(version) +
                                                 " is older than version " + std::to_string(highest_seen) +
                                                 " this device already trusts (rollback refused)");
}

Expected<Ed25519Key> TrustStore::FindKey(std::string_view id, KeyRole role) const {
  for (const auto& entry : doc_.keys) {
    if (entry.id != id) continue;
    if (entry.role != role)
      return MakeError(ErrorCode::kVerification, "key " + entry.id + " has role " +
                                                     RoleName(entry.role) + ", not " +
                                                     RoleName(role));
    return Ed25519Key::FromPublicPem(entry.public_pem);
  }
  return MakeError(ErrorCode::kVerification,
                   "unknown key " + std::string(id) + " (not in keys document version " +
                       std::to_string(doc_.version) + ")");
}

// Nothing of a manifest is parsed before its signature verifies: a hostile
// unsigned manifest must not reach the parser. The few keys of the document
// are tried over the raw bytes; then the parsed manifest must name the patch
// key that verified it.
Expected<Manifest> TrustStore::VerifyManifest(std::string_view manifest_bytes,
                                              std::string_view sig) const {
  if (manifest_bytes.size() > kMaxManifestBytes)
    return MakeError(ErrorCode::kParse, "manifest is " + std::to_string(manifest_bytes.size()) +
                                            " bytes, more than the limit of " + std::to_string(kMaxManifestBytes));
  const KeyEntry* signer = nullptr;
  for (const auto& entry : doc_.keys) {
    auto key = Ed25519Key::FromPublicPem(entry.public_pem);
    if (key && key->Verify(manifest_bytes, sig)) {
      signer = &entry;
      break;
    }
  }
  if (!signer)
    return MakeError(ErrorCode::kVerification, "manifest signature: no key of keys document version " +
                                                   std::to_string(doc_.version) + " verifies it");
  if (signer->role != KeyRole::kPatch)
    return MakeError(ErrorCode::kVerification, "manifest signature: signed by key " + signer->id + ", which has role " +
                                                   RoleName(signer->role) + ", not patch");
  auto manifest = ParseManifest(manifest_bytes);
  if (!manifest) return manifest.error();
  if (manifest->signing_key_id != signer->id)
    return MakeError(ErrorCode::kVerification, "manifest signing key: it names " + manifest->signing_key_id +
                                                   " but was signed by patch key " + signer->id);
  return manifest;
}

Status TrustStore::VerifyPortalSignature(std::string_view bytes, std::string_view sig,
                                         std::string_view key_id) const {
  auto key = FindKey(key_id, KeyRole::kPortal);
  if (!key) return key.error().WithContext("portal signing key");
  if (auto st = key->Verify(bytes, sig); !st) return st.error().WithContext("portal signature");
  return Ok();
}

}  // namespace lp
