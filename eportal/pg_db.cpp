#include "eportal/pg_db.hpp"

#include <charconv>

namespace lp::eportal::pg {
namespace {

constexpr Oid kByteaOid = 17;

std::string TrimmedMessage(const char* msg) {
  std::string s = msg ? msg : "unknown error";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Checks a result: ok for commands and row sets, an Error otherwise.
Status CheckResult(PGconn* conn, const PGresult* res, const std::string& sql) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Ok();
  std::string msg = TrimmedMessage(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  ErrorCode code = ErrorCode::kIo;
  if (state && state[0] == '2' && state[1] == '3') code = ErrorCode::kConflict;
  return MakeError(code, "postgresql: " + msg + " (running " + sql.substr(0, 80) + ")");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

std::int64_t Result::Affected() const {
  std::int64_t n = 0;
  const char* s = PQcmdTuples(res_.get());
  std::from_chars(s, s + std::char_traits<char>::length(s), n);
  return n;
}

std::string Result::Text(int row, int column) const {
  return std::string(PQgetvalue(res_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(res_.get(), row, column)));
}

std::int64_t Result::Int(int row, int column) const {
  std::int64_t n = 0;
  const char* s = PQgetvalue(res_.get(), row, column);
  std::from_chars(s, s + PQgetlength(res_.get(), row, column), n);
  return n;
}

std::string Result::Bytes(int row, int column) const {
  // bytea_output = hex (the default since 9.0): "\x" then two digits a byte.
  std::string text = Text(row, column);
  std::string out;
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return out;
  out.reserve((text.size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<char>(HexValue(text[i]) * 16 + HexValue(text[i + 1])));
  return out;
}

Expected<Conn> Conn::Connect(const std::string& conninfo) {
  ConnPtr conn(PQconnectdb(conninfo.c_str()));
  if (!conn) return MakeError(ErrorCode::kIo, "postgresql: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return MakeError(ErrorCode::kIo, "connecting to postgresql: " + TrimmedMessage(PQerrorMessage(conn.get())));
  Conn out(std::move(conn));
  // Keep the hex bytea form Result::Bytes decodes, and notices off stderr.
  LP_TRY(out.Exec("SET bytea_output = 'hex'; SET client_min_messages = warning"));
  return out;
}

Expected<Result> Conn::Query(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<Oid> types;
  for (const Param& p : params) {
    values.push_back(p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
    types.push_back(p.binary ? kByteaOid : 0);
  }
  ResultPtr res(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()), types.data(),
                             values.data(), lengths.data(), formats.data(), /*resultFormat=*/0));
  LP_TRY(CheckResult(conn_.get(), res.get(), sql));
  return Result(std::move(res));
}

Status Conn::Exec(const std::string& sql) {
  ResultPtr res(PQexec(conn_.get(), sql.c_str()));
  return CheckResult(conn_.get(), res.get(), sql);
}

Status Conn::Commit() {
  ResultPtr res(PQexec(conn_.get(), "COMMIT"));
  LP_TRY(CheckResult(conn_.get(), res.get(), "COMMIT"));
  if (std::string_view(PQcmdStatus(res.get())) != "COMMIT")
    return MakeError(ErrorCode::kConflict, "postgresql: the transaction was rolled back");
  return Ok();
}

void Conn::ResetIfBroken() {
  if (PQstatus(conn_.get()) == CONNECTION_BAD) PQreset(conn_.get());
}

}  // namespace lp::eportal::pg
