// Request handlers behind the router, and the helpers they share. Each
// handler may throw nlohmann::json exceptions on malformed input; Handle()
// turns those into 400 at the boundary.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "eportal/http_types.hpp"
#include "eportal/services.hpp"

namespace lp::eportal {

// Device API (device_api.cpp).
Response HandleEnroll(const Request& req, Services& s);
Response HandleCheckin(const Request& req, Services& s);
Response HandleBlob(const Request& req, Services& s);
Response HandleReport(const Request& req, Services& s);

// Admin API (admin_api.cpp, admin_import.cpp, admin_query.cpp).
Response HandleAddUser(const Request& req, Services& s);
Response HandleCreateToken(const Request& req, Services& s);
Response HandleImport(const Request& req, Services& s);
Response HandleListPatches(const Request& req, Services& s);
Response HandleRelease(const Request& req, Services& s);
Response HandleRevert(const Request& req, Services& s);
Response HandleStatus(const Request& req, Services& s);
Response HandleDevices(const Request& req, Services& s);
Response HandleAudit(const Request& req, Services& s);

// The JSON summary of one patch (admin_query.cpp).
nlohmann::json PatchSummary(const CataloguePatch& p);

// Shared helpers (handler_util.cpp).
// Maps an lp::Error to the HTTP status and error code of docs/api.md.
Response ErrorToResponse(const Error& error);
// The body as a JSON object, or a 400 error.
Expected<nlohmann::json> ParseJsonObject(const Request& req);
// Who is calling, or the 401/403 response to send instead.
template <class T>
struct Authenticated {
  std::optional<T> who;
  Response failure;
  explicit operator bool() const { return who.has_value(); }
};
// The user behind the bearer token, with at least `role`.
Authenticated<UserRecord> AuthenticateUser(const Request& req, Services& s, Role role);
// The device behind the bearer credential.
Authenticated<DeviceRecord> AuthenticateDevice(const Request& req, Services& s);
// kPermission unless the user's scope covers group.
Status RequireGroup(const UserRecord& user, const std::string& group);
// Writes an audit entry inside the caller's transaction.
Status Audit(Services& s, const std::string& actor, const std::string& action, const nlohmann::json& detail);

}  // namespace lp::eportal
