// The router's own request/response types: plain data, so the router is a
// pure function tested without sockets; only session.cpp converts to Beast.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace lp::eportal {

struct Request {
  std::string method;  // "GET", "POST" ...
  std::string target;  // path + optional "?query"
  std::map<std::string, std::string> headers;  // keys lowercase
  std::string body;

  std::string_view Path() const;
  // Value of a query parameter (percent-decoded), if present.
  std::optional<std::string> Query(std::string_view name) const;
  // Header value or "" (name in any case).
  std::string Header(std::string_view name) const;
  // The token of "Authorization: Bearer <token>", or "".
  std::string BearerToken() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Large immutable bodies (blobs) are shared with the blob cache instead of
  // copied into every answer: when set, it is sent and `body` is ignored.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route = "other";  // metrics / log label, filled in by the router
  // A 304 check-in that asked for a long poll: the server may hold the
  // request up to this many seconds and ask the router again when the
  // catalogue changes. The router itself never blocks.
  int hold_seconds = 0;
};

// The bytes an answer carries: shared_body when set, else body.
std::string_view BodyOf(const Response& r);

Response JsonResponse(int status, const nlohmann::json& body);
// {"error": code, "message": message} as docs/api.md defines.
Response ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace lp::eportal
