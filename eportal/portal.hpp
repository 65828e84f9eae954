// A portal instance on a data directory:
//   portal.db              SQLite store (unless a PostgreSQL database is named)
//   blobs/<sha256>         module files
//   root.pub               the offline root's public key (PEM)
//   keys.json, keys.json.sig  the root-signed keys document
//   portal.key             the portal's online signing key (PEM, mode 0600)
// Owns the store and the in-memory state, and hands out Services.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "eportal/services.hpp"

namespace lp::eportal {

struct InitOptions {
  std::filesystem::path data_dir;
  std::filesystem::path root_pub;
  std::filesystem::path keys_json;
  std::filesystem::path keys_sig;
  std::filesystem::path portal_key;
  std::string admin_name = "admin";
};

// The portal's store: SQLite at data_dir/portal.db when database is empty,
// else PostgreSQL at database (a libpq conninfo such as "host=/run/pg
// dbname=eportal", or a postgresql:// URI). Blobs stay in data_dir either way.
Expected<std::unique_ptr<Store>> OpenStore(const std::filesystem::path& data_dir, const std::string& database);

// Creates a data dir: checks that keys.json verifies against the root and
// lists the portal key with the portal role, copies the files in, creates
// the database and the first admin user. Returns that user's token (shown
// once). Refuses a data dir that already holds a portal. database: see
// OpenStore (empty: SQLite in the data dir).
Expected<std::string> InitDataDir(const InitOptions& options, std::time_t now,
                                  const std::string& database = "");

class Portal {
 public:
  static Expected<std::unique_ptr<Portal>> Open(const std::filesystem::path& data_dir,
                                                PortalSettings settings = {},
                                                const std::string& database = "");

  Services& services() { return services_; }
  // Writes batched last-seen times (see DeviceRegistry).
  Status FlushLastSeen();

 private:
  Portal(std::unique_ptr<Store> store, const std::filesystem::path& data_dir, TrustMaterial trust,
         PortalSettings settings);
  Status Load();

  std::unique_ptr<Store> store_;
  BlobStore blobs_;
  Catalogue catalogue_;
  DeviceRegistry devices_;
  Metrics metrics_;
  LongPollHub long_polls_;
  TrustMaterial trust_;
  Services services_;
};

}  // namespace lp::eportal
