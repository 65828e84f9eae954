#include "eportal/sqlite_db.hpp"

namespace lp::eportal {

Error SqliteError(sqlite3* db, const std::string& what) {
  return MakeError(ErrorCode::kIo, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK && bind_status_)
    bind_status_ = SqliteError(db_, "binding parameter " + std::to_string(index));
  return *this;
}

Stmt& Stmt::BindBlob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob(stmt_.get(), index, bytes.data(), static_cast<int>(bytes.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK && bind_status_)
    bind_status_ = SqliteError(db_, "binding parameter " + std::to_string(index));
  return *this;
}

Stmt& Stmt::Bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_.get(), index, value) != SQLITE_OK && bind_status_)
    bind_status_ = SqliteError(db_, "binding parameter " + std::to_string(index));
  return *this;
}

Expected<bool> Stmt::Step() {
  if (!bind_status_) return bind_status_.error();
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error err = SqliteError(db_, std::string("running ") + sqlite3_sql(stmt_.get()));
  if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT) err.code = ErrorCode::kConflict;
  return err;
}

Status Stmt::Run() {
  for (;;) {
    auto row = Step();
    if (!row) return row.error();
    if (!*row) return Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_status_ = Ok();
}

std::string Stmt::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), column);
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::string Stmt::Blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_.get(), column);
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

Expected<Db> Db::Open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  SqlitePtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(raw, "opening " + file.string());
  // A busy timeout so a second process (a backup, the sqlite3 shell) does not
  // make us fail at once; WAL lets readers run beside the single writer.
  sqlite3_busy_timeout(raw, 5000);
  Db out(std::move(db));
  // synchronous=NORMAL in WAL mode: a commit survives a process crash; only a
  // power cut can lose the last transactions, never corrupt the file.
  LP_TRY(out.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return out;
}

Expected<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK)
    return SqliteError(db_.get(), "preparing " + std::string(sql));
  return Stmt(db_.get(), SqliteStmtPtr(raw));
}

Status Db::Exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return MakeError(ErrorCode::kIo, "sqlite: " + text);
  }
  return Ok();
}

}  // namespace lp::eportal
