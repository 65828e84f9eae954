// Thin RAII layer over the SQLite C API: a connection and a prepared
// statement, returning lp::Expected instead of result codes. Not thread-safe:
// the owner (SqliteStore) serialises access with its own mutex.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/raii.hpp"

namespace lp::eportal {

using SqlitePtr = CPtr<sqlite3, &sqlite3_close_v2>;
using SqliteStmtPtr = CPtr<sqlite3_stmt, &sqlite3_finalize>;

// A prepared statement. Bind indexes are 1-based, column indexes 0-based
// (as in SQLite). Valid only while the Db that prepared it lives.
class Stmt {
 public:
  Stmt(sqlite3* db, SqliteStmtPtr stmt) : db_(db), stmt_(std::move(stmt)) {}

  Stmt& Bind(int index, std::string_view text);
  Stmt& BindBlob(int index, std::string_view bytes);
  Stmt& Bind(int index, std::int64_t value);

  // true while a row is available, false when done.
  Expected<bool> Step();
  // Runs to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Status Run();
  // Makes the statement ready to bind and run again.
  void Reset();

  std::string Text(int column) const;
  std::string Blob(int column) const;
  std::int64_t Int(int column) const;

 private:
  sqlite3* db_;
  SqliteStmtPtr stmt_;
  Status bind_status_;
};

class Db {
 public:
  // Opens (creating if needed) the database file, with WAL and foreign keys on.
  static Expected<Db> Open(const std::filesystem::path& file);

  Expected<Stmt> Prepare(std::string_view sql);
  // Runs one or more statements without parameters.
  Status Exec(const std::string& sql);
  std::int64_t Changes() const { return sqlite3_changes64(db_.get()); }

 private:
  explicit Db(SqlitePtr db) : db_(std::move(db)) {}
  SqlitePtr db_;
};

// The message of the last error on db, prefixed by what was being done.
Error SqliteError(sqlite3* db, const std::string& what);

}  // namespace lp::eportal
