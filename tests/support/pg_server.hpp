// A throw-away PostgreSQL server for tests: initdb into a temp dir, started
// on a Unix socket in that dir (no TCP), trust auth, superuser "postgres",
// one database "eportal". Stopped (immediate) and removed on destruction.
//
// Binaries come from $LP_PG_BINDIR or the newest /usr/lib/postgresql/*/bin
// (Debian's postgresql package). Postgres refuses to run as root, so as root
// the dir is handed to the "postgres" system user and initdb/pg_ctl run
// through `runuser -u postgres --`.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/error.hpp"

namespace lp::testing {

class PgServer {
 public:
  // Fails with a message naming what is missing when the server binaries
  // are not installed (scripts/install-deps installs them).
  static Expected<std::unique_ptr<PgServer>> Start();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // libpq conninfo of the test database.
  std::string conninfo() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  PgServer() = default;

  std::filesystem::path dir_;     // socket dir; data in dir_/data
  std::filesystem::path bindir_;
  bool as_postgres_ = false;      // running as root: use runuser
  bool started_ = false;
};

}  // namespace lp::testing
