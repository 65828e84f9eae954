#include "eportal/router.hpp"

#include <nlohmann/json.hpp>

#include "eportal/handlers.hpp"

namespace lp::eportal {
namespace {

using Handler = Response (*)(const Request&, Services&);

struct Route {
  std::string_view method;
  std::string_view path;  // exact, or a prefix when it ends with '/'
  std::string_view name;  // metrics label
  Handler handler;
};

constexpr std::string_view kBlobPrefix = "/api/v1/blobs/";
constexpr std::string_view kImportPath = "/api/v1/admin/patches";

Response Health(const Request&, Services&) {
  Response r;
  r.content_type = "text/plain";
  r.body = "ok\n";
  return r;
}

Response MetricsText(const Request&, Services& s) {
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = s.metrics.Render({s.devices.size(), s.catalogue.Patches().size(), s.long_polls.size()});
  return r;
}

const Route kRoutes[] = {
    {"POST", "/api/v1/checkin", "checkin", HandleCheckin},
    {"GET", kBlobPrefix, "blobs", HandleBlob},
    {"POST", "/api/v1/enroll", "enroll", HandleEnroll},
    {"POST", "/api/v1/reports", "reports", HandleReport},
    {"POST", "/api/v1/admin/users", "admin_users", HandleAddUser},
    {"POST", "/api/v1/admin/tokens", "admin_tokens", HandleCreateToken},
    {"POST", kImportPath, "admin_import", HandleImport},
    {"GET", kImportPath, "admin_patches", HandleListPatches},
    {"POST", "/api/v1/admin/releases", "admin_releases", HandleRelease},
    {"POST", "/api/v1/admin/reverts", "admin_reverts", HandleRevert},
    {"GET", "/api/v1/admin/status", "admin_status", HandleStatus},
    {"GET", "/api/v1/admin/devices", "admin_devices", HandleDevices},
    {"GET", "/api/v1/admin/audit", "admin_audit", HandleAudit},
    {"GET", "/healthz", "healthz", Health},
    {"GET", "/metrics", "metrics", MetricsText},
};

bool Matches(const Route& route, std::string_view path) {
  if (route.path.back() == '/') return path.size() > route.path.size() && path.starts_with(route.path);
  return path == route.path;
}

Response Dispatch(const Request& req, Services& s, std::string_view& route_name) {
  const std::string_view path = req.Path();
  bool path_known = false;
  for (const Route& route : kRoutes) {
    if (!Matches(route, path)) continue;
    path_known = true;
    if (route.method != req.method) continue;
    route_name = route.name;
    return route.handler(req, s);
  }
  if (path_known) return ErrorResponse(405, "method_not_allowed", req.method + " not allowed here");
  return ErrorResponse(404, "not_found", "no such endpoint");
}

}  // namespace

std::size_t BodyLimitFor(std::string_view method, std::string_view path) {
  if (method == "POST" && path == kImportPath) return 64u << 20;  // a bundle carries a module
  return 64u << 10;
}

Response Handle(const Request& req, Services& s) {
  std::string_view route_name = "other";
  Response response;
  try {
    response = Dispatch(req, s, route_name);
  } catch (const nlohmann::json::exception& e) {
    // Handlers read fields with at()/get<>(), which throw on a missing field
    // or a wrong type: that is the client's fault.
    response = ErrorResponse(400, "invalid_request", std::string("malformed request: ") + e.what());
  } catch (const std::exception& e) {
    response = ErrorResponse(500, "internal", e.what());
  }
  response.route = std::string(route_name);
  s.metrics.CountRequest(response.route, response.status);
  return response;
}

}  // namespace lp::eportal
