#include "eportal/handlers.hpp"
#include "eportal/secrets.hpp"

namespace lp::eportal {

Response ErrorToResponse(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse: return ErrorResponse(400, "invalid_request", error.message);
    case ErrorCode::kVerification: return ErrorResponse(400, "verification_failed", error.message);
    case ErrorCode::kPermission: return ErrorResponse(403, "forbidden", error.message);
    case ErrorCode::kNotFound: return ErrorResponse(404, "not_found", error.message);
    case ErrorCode::kConflict: return ErrorResponse(409, "conflict", error.message);
    default: return ErrorResponse(500, "internal", error.message);
  }
}

Expected<nlohmann::json> ParseJsonObject(const Request& req) {
  auto j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "request body is not a JSON object");
  return j;
}

Authenticated<UserRecord> AuthenticateUser(const Request& req, Services& s, Role role) {
  std::string token = req.BearerToken();
  if (token.empty()) return {std::nullopt, ErrorResponse(401, "unauthorized", "missing bearer token")};
  auto user = s.store.FindUserByToken(Sha256Of(token));
  if (!user) return {std::nullopt, ErrorToResponse(user.error())};
  if (!*user) return {std::nullopt, ErrorResponse(401, "unauthorized", "unknown token")};
  if ((*user)->role < role)
    return {std::nullopt, ErrorResponse(403, "forbidden",
                                        std::string("needs role ") + RoleName(role) + ", " + (*user)->name +
                                            " is " + RoleName((*user)->role))};
  return {std::move(**user), {}};
}

Authenticated<DeviceRecord> AuthenticateDevice(const Request& req, Services& s) {
  std::string credential = req.BearerToken();
  if (credential.empty())
    return {std::nullopt, ErrorResponse(401, "unauthorized", "missing device credential")};
  auto device = s.devices.FindByCredential(Sha256Of(credential));
  if (!device) return {std::nullopt, ErrorResponse(401, "unauthorized", "unknown device credential")};
  return {std::move(*device), {}};
}

Status RequireGroup(const UserRecord& user, const std::string& group) {
  if (user.CanSeeGroup(group)) return Ok();
  return MakeError(ErrorCode::kPermission, user.name + " has no access to group " + group);
}

Status Audit(Services& s, const std::string& actor, const std::string& action, const nlohmann::json& detail) {
  auto entry = s.store.AppendAudit(actor, action, detail.dump(), s.now());
  if (!entry) return entry.error();
  return Ok();
}

}  // namespace lp::eportal
