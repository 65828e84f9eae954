// Thin RAII layer over libpq: a connection and a query result, returning
// lp::Expected instead of status codes. Values only ever travel as query
// parameters (PQexecParams); SQL text is never built from data. Not
// thread-safe: the owner (PgStore) serialises access with its own mutex.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/raii.hpp"

namespace lp::eportal::pg {

using ConnPtr = CPtr<PGconn, &PQfinish>;
using ResultPtr = CPtr<PGresult, &PQclear>;

// One query parameter: text whose type the server infers from the query, or
// raw bytes sent in binary form for a BYTEA column.
struct Param {
  Param(const std::string& text) : value(text) {}  // NOLINT(google-explicit-constructor)
  Param(std::string_view text) : value(text) {}    // NOLINT(google-explicit-constructor)
  Param(const char* text) : value(text) {}       // NOLINT(google-explicit-constructor)
  Param(std::int64_t number) : value(std::to_string(number)) {}  // NOLINT(google-explicit-constructor)
  static Param Bytes(std::string_view bytes) {
    Param p(bytes);
    p.binary = true;
    return p;
  }

  std::string value;
  bool binary = false;
};

// The rows of one statement, in text format. Row and column indexes are 0-based.
class Result {
 public:
  explicit Result(ResultPtr res) : res_(std::move(res)) {}

  int Rows() const { return PQntuples(res_.get()); }
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t Affected() const;
  std::string Text(int row, int column) const;
  std::int64_t Int(int row, int column) const;
  // A BYTEA column (decoded from the server's hex text form).
  std::string Bytes(int row, int column) const;

 private:
  ResultPtr res_;
};

class Conn {
 public:
  // conninfo: "host=/run/x dbname=eportal" or a postgresql:// URI.
  static Expected<Conn> Connect(const std::string& conninfo);

  // One statement with $1..$n parameters. Fails with kConflict on an
  // integrity violation (SQLSTATE class 23), kIo otherwise.
  Expected<Result> Query(const std::string& sql, const std::vector<Param>& params = {});
  // One or more statements without parameters (schema, BEGIN/ROLLBACK).
  Status Exec(const std::string& sql);
  // COMMIT, failing if the server rolled back instead (an earlier statement
  // of the transaction failed).
  Status Commit();
  // Reconnects after the server went away (only call between transactions).
  void ResetIfBroken();

 private:
  explicit Conn(ConnPtr conn) : conn_(std::move(conn)) {}
  ConnPtr conn_;
};

}  // namespace lp::eportal::pg
