#include "eportal/portal.hpp"

#include <nlohmann/json.hpp>

#include "common/file_util.hpp"
#include "common/keys.hpp"
#include "eportal/log.hpp"
#include "eportal/pg_store.hpp"
#include "eportal/secrets.hpp"
#include "eportal/sqlite_store.hpp"

namespace lp::eportal {
namespace fs = std::filesystem;
namespace {

struct TrustFiles {
  std::string root_pem, keys_json, keys_sig, portal_pem;
};

Expected<TrustFiles> ReadTrustFiles(const fs::path& root, const fs::path& keys, const fs::path& sig,
                                    const fs::path& portal) {
  TrustFiles f;
  for (auto [path, out] : {std::pair{&root, &f.root_pem}, {&keys, &f.keys_json}, {&sig, &f.keys_sig},
                           {&portal, &f.portal_pem}}) {
    auto data = ReadFile(*path, 1u << 20);
    if (!data) return data.error();
    *out = std::move(*data);
  }
  return f;
}

// Checks the chain root -> keys.json -> portal key. An expired keys document
// is only warned about at start-up (the operator must re-sign it; devices
// will refuse answers meanwhile) but refused at init.
Expected<TrustMaterial> CheckTrust(const TrustFiles& f, std::time_t now, bool allow_expired) {
  auto root = Ed25519Key::FromPublicPem(f.root_pem);
  if (!root) return root.error().WithContext("root public key");
  auto doc = VerifyKeysDocument(f.keys_json, f.keys_sig, *root, now);
  if (!doc && allow_expired && VerifyKeysDocument(f.keys_json, f.keys_sig, *root, 0)) {
    Log("warn", "keys_expired", {{"detail", doc.error().message}});
    doc = VerifyKeysDocument(f.keys_json, f.keys_sig, *root, 0);
  }
  if (!doc) return doc.error().WithContext("keys.json");
  auto portal = Ed25519Key::FromPrivatePem(f.portal_pem);
  if (!portal) return portal.error().WithContext("portal key");
  if (!TrustStore(*doc).FindKey(portal->KeyId(), KeyRole::kPortal))
    return MakeError(ErrorCode::kVerification,
                     "portal key " + portal->KeyId() + " is not listed with the portal role in keys.json");
  return TrustMaterial{std::move(*root), std::move(*portal), f.keys_json, f.keys_sig,
                       Base64Encode(f.keys_json), Base64Encode(f.keys_sig)};
}

// serve must use the back-end init used: SQLite would otherwise create an
// empty portal.db beside a PostgreSQL portal's data dir, and --database
// would ignore a SQLite portal's portal.db.
Status CheckSameBackEnd(const fs::path& data_dir, const std::string& database) {
  std::error_code ec;
  const bool sqlite_portal = fs::exists(data_dir / "portal.db", ec);
  if (database.empty() && !sqlite_portal)
    return MakeError(ErrorCode::kInvalidArgument,
                     data_dir.string() + " has no portal.db: it was initialised with --database (PostgreSQL); "
                                         "give serve the same --database");
  if (!database.empty() && sqlite_portal)
    return MakeError(ErrorCode::kInvalidArgument,
                     data_dir.string() + " holds a SQLite portal (portal.db): serve it without --database");
  return Ok();
}

}  // namespace

Expected<std::unique_ptr<Store>> OpenStore(const fs::path& data_dir, const std::string& database) {
  if (database.empty()) {
    auto store = SqliteStore::Open(data_dir / "portal.db");
    if (!store) return store.error();
    return std::unique_ptr<Store>(std::move(*store));
  }
  auto store = PgStore::Open(database);
  if (!store) return store.error();
  return std::unique_ptr<Store>(std::move(*store));
}

Expected<std::string> InitDataDir(const InitOptions& o, std::time_t now, const std::string& database) {
  const fs::path& dir = o.data_dir;
  std::error_code ec;
  if (fs::exists(dir / "portal.db", ec) || (!database.empty() && fs::exists(dir / "portal.key", ec)))
    return MakeError(ErrorCode::kConflict, dir.string() + " already holds a portal");
  auto files = ReadTrustFiles(o.root_pub, o.keys_json, o.keys_sig, o.portal_key);
  if (!files) return files.error();
  auto trust = CheckTrust(*files, now, /*allow_expired=*/false);
  if (!trust) return trust.error();
  LP_TRY(MakeDirs(dir / "blobs"));
  auto store = OpenStore(dir, database);
  if (!store) return store.error();
  auto users = (*store)->ListUsers();
  if (!users) return users.error();
  if (!users->empty()) return MakeError(ErrorCode::kConflict, "the database already holds a portal");
  LP_TRY(WriteFileAtomic(dir / "root.pub", files->root_pem));
  LP_TRY(WriteFileAtomic(dir / "keys.json", files->keys_json));
  LP_TRY(WriteFileAtomic(dir / "keys.json.sig", files->keys_sig));
  LP_TRY(WriteFileAtomic(dir / "portal.key", files->portal_pem, 0600));
  std::string token = RandomSecret("ept_");
  UserRecord admin{o.admin_name, Role::kAdmin, {}, Sha256Of(token), now};
  nlohmann::json detail = {{"admin", o.admin_name}, {"portal_key", trust->portal.KeyId()}};
  LP_TRY((*store)->Atomically([&]() -> Status {
    LP_TRY((*store)->InsertUser(admin));
    auto entry = (*store)->AppendAudit("eportal init", "init", detail.dump(), now);
    if (!entry) return entry.error();
    return Ok();
  }));
  return token;
}

Portal::Portal(std::unique_ptr<Store> store, const fs::path& data_dir, TrustMaterial trust,
               PortalSettings settings)
    : store_(std::move(store)),
      blobs_(data_dir / "blobs"),
      trust_(std::move(trust)),
      services_{*store_, blobs_, catalogue_, devices_, metrics_, long_polls_, trust_, settings} {
  catalogue_.SetOnChange([this] { long_polls_.WakeAll(); });
}

Expected<std::unique_ptr<Portal>> Portal::Open(const fs::path& data_dir, PortalSettings settings,
                                               const std::string& database) {
  auto files = ReadTrustFiles(data_dir / "root.pub", data_dir / "keys.json", data_dir / "keys.json.sig",
                              data_dir / "portal.key");
  if (!files) return files.error().WithContext("data dir " + data_dir.string() + " (run eportal init?)");
  auto trust = CheckTrust(*files, std::time(nullptr), /*allow_expired=*/true);
  if (!trust) return trust.error();
  LP_TRY(CheckSameBackEnd(data_dir, database));
  auto store = OpenStore(data_dir, database);
  if (!store) return store.error();
  // An empty database is not a portal (init writes its admin): serving it
  // would refuse every token and look like a lost database.
  auto users = (*store)->ListUsers();
  if (!users) return users.error();
  if (users->empty())
    return MakeError(ErrorCode::kNotFound, "the database holds no portal (no users): run eportal init" +
                                               std::string(database.empty() ? "" : " with the same --database"));
  std::unique_ptr<Portal> portal(new Portal(std::move(*store), data_dir, std::move(*trust), settings));
  LP_TRY(portal->Load());
  return portal;
}

Status Portal::Load() {
  auto patches = store_->ListPatches();
  if (!patches) return patches.error();
  for (PatchRecord& r : *patches) {
    auto p = Catalogue::MakePatch(std::move(r));
    if (!p) return p.error();
    catalogue_.AddPatch(*p);
  }
  auto events = store_->ListReleaseEvents();
  if (!events) return events.error();
  for (const ReleaseEvent& e : *events) catalogue_.ApplyEvent(e);
  auto devices = store_->ListDevices();
  if (!devices) return devices.error();
  for (const DeviceRecord& d : *devices) devices_.Put(d);
  return Ok();
}

Status Portal::FlushLastSeen() {
  auto seen = devices_.TakeDirtyLastSeen();
  return store_->UpdateLastSeen(seen);
}

}  // namespace lp::eportal
