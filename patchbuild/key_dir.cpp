#include "patchbuild/key_dir.hpp"

#include <sys/stat.h>

#include <map>

#include "common/crypto.hpp"
#include "common/file_util.hpp"
#include "common/keys.hpp"
#include "patchbuild/module_key.hpp"

namespace lp::patchbuild::key_dir {
namespace {

constexpr unsigned kPrivateMode = 0600;
constexpr unsigned kPublicMode = 0644;
constexpr long kModuleCertDays = 36500;  // as certs/x509.genkey; the kernel ignores expiry

struct FileToWrite {
  std::string contents;
  unsigned mode;
};

Status PrepareDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec))
      return MakeError(ErrorCode::kConflict, dir.string() + " exists and is not a directory");
    if (!std::filesystem::is_empty(dir, ec))
      return MakeError(ErrorCode::kConflict,
                       dir.string() + " is not empty; refusing to overwrite existing keys");
    return Ok();
  }
  LP_TRY(MakeDirs(dir));
  if (::chmod(dir.c_str(), 0700) != 0)
    return MakeError(ErrorCode::kIo, "chmod 0700 " + dir.string() + " failed");
  return Ok();
}

Status AddEd25519Pair(const char* key_name, const char* pub_name, const Ed25519Key& key,
                      std::map<std::string, FileToWrite>* files) {
  auto pem = key.PrivatePem();
  if (!pem) return pem.error();
  (*files)[key_name] = {*pem, kPrivateMode};
  (*files)[pub_name] = {key.PublicPem(), kPublicMode};
  return Ok();
}

Expected<std::map<std::string, FileToWrite>> GenerateAll(long expires_days, std::time_t now) {
  auto root = Ed25519Key::Generate();
  auto patch = Ed25519Key::Generate();
  auto portal = Ed25519Key::Generate();
  if (!root || !patch || !portal) return MakeError(ErrorCode::kInternal, "Ed25519 key generation failed");
  std::map<std::string, FileToWrite> files;
  LP_TRY(AddEd25519Pair(kRootKey, kRootPub, *root, &files));
  LP_TRY(AddEd25519Pair(kPatchKey, kPatchPub, *patch, &files));
  LP_TRY(AddEd25519Pair(kPortalKey, kPortalPub, *portal, &files));
  auto module = GenerateModuleKey("fleetpatch module signing key", kModuleCertDays);
  if (!module) return module.error();
  files[kModuleKey] = {module->key_pem, kPrivateMode};
  files[kModuleCert] = {module->cert_pem, kPublicMode};
  KeysDocument doc;
  doc.version = 1;
  doc.expires = FormatTime(now + expires_days * 86400);
  doc.keys = {{patch->KeyId(), KeyRole::kPatch, patch->PublicPem()},
              {portal->KeyId(), KeyRole::kPortal, portal->PublicPem()}};
  std::string keys_json = SerializeKeysDocument(doc);
  auto sig = root->Sign(keys_json);
  if (!sig) return sig.error();
  files[kKeysJson] = {keys_json, kPublicMode};
  files[kKeysSig] = {*sig, kPublicMode};
  return files;
}

}  // namespace

Status Init(const std::filesystem::path& dir, long expires_days, std::time_t now) {
  if (expires_days <= 0 || expires_days > 36500)
    return MakeError(ErrorCode::kInvalidArgument, "--expires-days must be between 1 and 36500");
  LP_TRY(PrepareDirectory(dir));
  auto files = GenerateAll(expires_days, now);
  if (!files) return files.error();
  for (const auto& [name, file] : *files)
    LP_TRY(WriteFileAtomic(dir / name, file.contents, file.mode));
  return Ok();
}

}  // namespace lp::patchbuild::key_dir
