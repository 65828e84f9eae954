#include "common/bundle.hpp"

#include <map>

#include "common/file_util.hpp"
#include "common/ustar.hpp"

namespace lp {
namespace {

constexpr std::size_t kBundleMembers = 5;
constexpr std::size_t kMaxSigBytes = 1024;

// The four fixed members and the largest size each may have; the fifth
// member is the module, named by the manifest.
const std::map<std::string, std::size_t>& FixedMembers() {
  static const std::map<std::string, std::size_t> kFixed = {
      {"manifest.json", kMaxManifestBytes},
      {"manifest.sig", kMaxSigBytes},
      {"keys.json", kMaxKeysDocumentBytes},
      {"keys.json.sig", kMaxSigBytes},
  };
  return kFixed;
}

Error BundleError(const std::string& problem) {
  return MakeError(ErrorCode::kParse, "bundle: " + problem);
}

// Places each member into parts, refusing duplicates, unknown names,
// oversized fixed members and a missing member.
Expected<BundleParts> AssignMembers(std::vector<ustar::Member> members) {
  BundleParts parts;
  std::map<std::string, std::string*> slots = {{"manifest.json", &parts.manifest_json},
                                               {"manifest.sig", &parts.manifest_sig},
                                               {"keys.json", &parts.keys_json},
                                               {"keys.json.sig", &parts.keys_sig}};
  std::map<std::string, bool> seen;
  std::string module_name;
  for (auto& m : members) {
    if (seen[m.name]) return BundleError("duplicate member " + m.name);
    seen[m.name] = true;
    auto fixed = FixedMembers().find(m.name);
    if (fixed != FixedMembers().end()) {
      if (m.data.size() > fixed->second)
        return BundleError("member " + m.name + " is larger than " + std::to_string(fixed->second) +
                           " bytes");
      *slots[m.name] = std::move(m.data);
    } else if (m.name.size() > 3 && m.name.ends_with(".ko") && module_name.empty()) {
      module_name = m.name;
      parts.module_bytes = std::move(m.data);
    } else {
      return BundleError("unexpected member " + m.name);
    }
  }
  for (const auto& [name, limit] : FixedMembers())
    if (!seen[name]) return BundleError("missing member " + name);
  if (module_name.empty()) return BundleError("missing module member (*.ko)");
  parts.module_file = module_name;
  return parts;
}

Status CheckModule(const Manifest& m, const BundleParts& parts) {
  auto fail = [](const std::string& what) { return MakeError(ErrorCode::kVerification, what); };
  if (parts.module_file != m.module_file)
    return fail("module file name: bundle has " + parts.module_file + ", manifest names " +
                m.module_file);
  if (parts.module_bytes.size() != m.module_size)
    return fail("module size: " + std::to_string(parts.module_bytes.size()) +
                " bytes, manifest says " + std::to_string(m.module_size));
  if (Sha256Hex(parts.module_bytes) != m.module_sha256)
    return fail("module sha256 mismatch: the module is not the one the manifest signs");
  return Ok();
}

}  // namespace

Expected<std::string> PackBundle(const BundleParts& parts) {
  auto manifest = ParseManifest(parts.manifest_json);
  if (!manifest) return manifest.error().WithContext("packing bundle");
  auto created = ParseTime(manifest->created);
  std::uint64_t mtime = created && *created > 0 ? static_cast<std::uint64_t>(*created) : 0;
  std::vector<ustar::Member> members = {
      {"manifest.json", parts.manifest_json, mtime},
      {"manifest.sig", parts.manifest_sig, mtime},
      {"keys.json", parts.keys_json, mtime},
      {"keys.json.sig", parts.keys_sig, mtime},
      {manifest->module_file, parts.module_bytes, mtime},
  };
  auto packed = ustar::Pack(members);
  if (!packed) return packed.error().WithContext("packing bundle");
  if (packed->size() > kMaxBundleBytes)
    return MakeError(ErrorCode::kInvalidArgument, "bundle would exceed " +
                                                      std::to_string(kMaxBundleBytes) + " bytes");
  return packed;
}

Status WriteBundle(const std::filesystem::path& path, const BundleParts& parts) {
  auto packed = PackBundle(parts);
  if (!packed) return packed.error();
  return WriteFileAtomic(path, *packed);
}

Expected<BundleParts> UnpackBundle(std::string_view bytes) {
  if (bytes.size() > kMaxBundleBytes)
    return BundleError("larger than " + std::to_string(kMaxBundleBytes) + " bytes");
  auto members = ustar::Unpack(bytes, kBundleMembers, kMaxBundleBytes);
  if (!members) return members.error().WithContext("bundle");
  return AssignMembers(std::move(*members));
}

Expected<VerifiedBundle> VerifyBundle(std::string_view bytes, const Ed25519Key& root,
                                      std::time_t now) {
  auto parts = UnpackBundle(bytes);
  if (!parts) return parts.error();
  auto keys = VerifyKeysDocument(parts->keys_json, parts->keys_sig, root, now);
  if (!keys) return keys.error();
  TrustStore trust(*keys);
  auto manifest = trust.VerifyManifest(parts->manifest_json, parts->manifest_sig);
  if (!manifest) return manifest.error().WithContext("manifest");
  LP_TRY(CheckModule(*manifest, *parts));
  return VerifiedBundle{std::move(*parts), std::move(*manifest), std::move(*keys)};
}

Expected<VerifiedBundle> ReadBundle(const std::filesystem::path& path, const Ed25519Key& root,
                                    std::time_t now) {
  auto bytes = ReadFile(path, kMaxBundleBytes);
  if (!bytes) return bytes.error();
  auto bundle = VerifyBundle(*bytes, root, now);
  if (!bundle) return bundle.error().WithContext(path.string());
  return bundle;
}

}  // namespace lp
