#include "patchbuild/bundle_builder.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "common/bundle.hpp"
#include "common/crypto.hpp"
#include "common/file_util.hpp"
#include "common/identity.hpp"
#include "common/keys.hpp"
#include "patchbuild/key_dir.hpp"
#include "patchbuild/modinfo.hpp"
#include "patchbuild/module_sign.hpp"

namespace lp::patchbuild {
namespace {

constexpr std::size_t kMaxModuleBytes = 64u << 20;

Error Invalid(const std::string& what) { return MakeError(ErrorCode::kInvalidArgument, what); }

std::string Builder() {
  char host[256] = "unknown";
  ::gethostname(host, sizeof host - 1);
  return std::string("patchbuild ") + LP_VERSION + " on " + host;
}

// The image must be for the architecture the manifest will name: a device
// compares both, so a mismatch here would only surface on the fleet.
Expected<std::string> BuildIdOfImage(const std::filesystem::path& vmlinuz, const std::string& arch) {
  auto vmlinux = ExtractVmlinux(vmlinuz);
  if (!vmlinux) return vmlinux.error();
  auto image_arch = ElfArch(*vmlinux);
  if (!image_arch) return image_arch.error().WithContext(vmlinuz.string());
  if (*image_arch != arch)
    return Invalid(vmlinuz.string() + " is an " + *image_arch + " kernel, not --arch " + arch);
  auto id = BuildIdFromElf(*vmlinux);
  if (!id) return id.error().WithContext("vmlinux in " + vmlinuz.string());
  return id;
}

Expected<std::string> ResolveBuildId(const BundleRequest& r) {
  if (r.vmlinuz.has_value() == !r.build_id.empty())
    return Invalid("give exactly one of --vmlinuz and --build-id");
  if (r.vmlinuz) return BuildIdOfImage(*r.vmlinuz, r.arch);
  std::string id = r.build_id;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!HexDecode(id) || id.empty()) return Invalid("--build-id must be hex, got '" + r.build_id + "'");
  return id;
}

// The patch key must be one the keys document lets sign patches, and the
// document must be the root's, or every device would refuse the bundle:
// better to fail here.
Expected<Ed25519Key> LoadPatchKey(const std::filesystem::path& dir, std::time_t now,
                                  std::string* keys_json, std::string* keys_sig) {
  auto key = Ed25519Key::LoadPrivate(dir / key_dir::kPatchKey);
  if (!key) return key.error();
  auto json = ReadFile(dir / key_dir::kKeysJson, 1u << 20);
  if (!json) return json.error();
  auto sig = ReadFile(dir / key_dir::kKeysSig, 1024);
  if (!sig) return sig.error().WithContext("keys.json is not signed");
  auto root = Ed25519Key::LoadPublic(dir / key_dir::kRootPub);
  if (!root) return root.error().WithContext("checking keys.json.sig");
  auto doc = VerifyKeysDocument(*json, *sig, *root, now);
  if (!doc)
    return doc.error().WithContext((dir / key_dir::kKeysJson).string() + " with " +
                                   (dir / key_dir::kRootPub).string());
  if (auto found = TrustStore(*doc).FindKey(key->KeyId(), KeyRole::kPatch); !found)
    return found.error().WithContext((dir / key_dir::kPatchKey).string() + " is not the patch key keys.json certifies");
  *keys_json = std::move(*json);
  *keys_sig = std::move(*sig);
  return key;
}

Expected<ModuleSigner> LoadModuleSigner(const BundleRequest& r) {
  const auto key = r.module_key.value_or(r.keys_dir / key_dir::kModuleKey);
  const auto cert = r.module_cert.value_or(r.keys_dir / key_dir::kModuleCert);
  auto signer = ModuleSigner::Load(key, cert);
  if (!signer) return signer.error().WithContext(key.string() + ", " + cert.string());
  return signer;
}

Expected<std::string> PrepareModule(const BundleRequest& r) {
  auto bytes = ReadFile(r.module, kMaxModuleBytes);
  if (!bytes) return bytes.error();
  if (!r.sign_module) return bytes;
  if (HasModuleSignature(*bytes))
    return MakeError(ErrorCode::kConflict, r.module.string() +
                                               " already carries a kernel module signature; pass "
                                               "--no-module-sign to bundle it as it is");
  auto signer = LoadModuleSigner(r);
  if (!signer) return signer.error();
  return signer->Sign(*bytes);
}

}  // namespace

Expected<PatchedFunction> ParseFunctionSpec(const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return Invalid("--function '" + spec + "': expected OBJ:NAME[,SYMPOS]");
  PatchedFunction f{spec.substr(0, colon), spec.substr(colon + 1), 0};
  if (auto comma = f.name.find(','); comma != std::string::npos) {
    std::string pos = f.name.substr(comma + 1);
    f.name.resize(comma);
    auto [end, ec] = std::from_chars(pos.data(), pos.data() + pos.size(), f.sympos);
    if (ec != std::errc() || end != pos.data() + pos.size() || f.name.empty())
      return Invalid("--function '" + spec + "': SYMPOS must be a number");
  }
  return f;
}

Status CheckSigningKeys(const BundleRequest& r) {
  std::string json, sig;
  auto patch_key = LoadPatchKey(r.keys_dir, r.now, &json, &sig);
  if (!patch_key) return patch_key.error();
  if (!r.sign_module) return Ok();
  auto signer = LoadModuleSigner(r);
  if (!signer) return signer.error();
  return Ok();
}

Expected<Manifest> BuildBundle(const BundleRequest& r) {
  if (r.release.empty()) return Invalid("--target (the kernel release) is required");
  auto build_id = ResolveBuildId(r);
  if (!build_id) return build_id.error();
  BundleParts parts;
  auto patch_key = LoadPatchKey(r.keys_dir, r.now, &parts.keys_json, &parts.keys_sig);
  if (!patch_key) return patch_key.error();
  auto module = PrepareModule(r);
  if (!module) return module.error();
  auto name = ModuleName(r.module, *module);
  if (!name) return name.error();

  Manifest m;
  m.patch_id = r.patch_id.empty() ? *name : r.patch_id;
  m.version = r.version;
  m.target = {r.release, *build_id, r.arch};
  m.module_name = *name;
  m.module_file = r.module.filename().string();
  m.module_sha256 = Sha256Hex(*module);
  m.module_size = module->size();
  m.functions = r.functions;
  m.cves = r.cves;
  m.description = r.description;
  m.created = FormatTime(r.now);
  m.builder = Builder();
  m.signing_key_id = patch_key->KeyId();
  parts.manifest_json = SerializeManifest(m);
  // Validate with the same strict parser devices use, before signing.
  if (auto check = ParseManifest(parts.manifest_json); !check)
    return check.error().WithContext("manifest");
  auto sig = patch_key->Sign(parts.manifest_json);
  if (!sig) return sig.error();
  parts.manifest_sig = *sig;
  parts.module_bytes = std::move(*module);
  LP_TRY(WriteBundle(r.output, parts));
  return m;
}

}  // namespace lp::patchbuild
