// Device endpoints: enroll, check-in, blobs, reports (docs/api.md).
#include <algorithm>

#include "eportal/checkin_answer.hpp"
#include "eportal/handlers.hpp"
#include "eportal/secrets.hpp"

namespace lp::eportal {
namespace {

constexpr int kMaxWaitSeconds = 300;

KernelIdentity IdentityFrom(const nlohmann::json& j) {
  const auto& id = j.at("identity");
  return {id.at("release").get<std::string>(), id.at("build_id").get<std::string>(),
          id.at("arch").get<std::string>()};
}

// The applied list in canonical form, validated field by field.
std::string CanonicalApplied(const nlohmann::json& body) {
  nlohmann::json out = nlohmann::json::array();
  if (!body.contains("applied")) return out.dump();
  for (const auto& a : body.at("applied"))
    out.push_back({{"patch_id", a.at("patch_id").get<std::string>()},
                   {"version", a.at("version").get<std::uint64_t>()},
                   {"state", a.at("state").get<std::string>()}});
  return out.dump();
}

}  // namespace

Response HandleEnroll(const Request& req, Services& s) {
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  const std::int64_t now = s.now();
  auto token = s.store.FindEnrollToken(Sha256Of(body->at("token").get<std::string>()));
  if (!token) return ErrorToResponse(token.error());
  if (!*token || (*token)->expires < now)
    return ErrorResponse(401, "unauthorized", "unknown or expired enrollment token");
  std::string credential = RandomSecret("epd_");
  DeviceRecord d;
  d.id = RandomSecret("d-", 8);
  d.group = (*token)->group;
  d.credential_sha256 = Sha256Of(credential);
  d.hostname = body->value("hostname", "");
  d.identity = IdentityFrom(*body);
  if (d.identity.release.empty() || d.identity.build_id.empty() || d.identity.arch.empty())
    return ErrorResponse(400, "invalid_request", "identity needs release, build_id and arch");
  d.enrolled = now;
  Status st = s.store.Atomically([&]() -> Status {
    LP_TRY(s.store.InsertDevice(d));
    return Audit(s, "device " + d.id, "enroll", {{"device_id", d.id}, {"group", d.group}, {"hostname", d.hostname}});
  });
  if (!st) return ErrorToResponse(st.error());
  s.devices.Put(d);
  return JsonResponse(200, {{"device_id", d.id}, {"credential", credential}, {"group", d.group}});
}

Response HandleCheckin(const Request& req, Services& s) {
  auto auth = AuthenticateDevice(req, s);
  if (!auth) return auth.failure;
  DeviceRecord device = std::move(*auth.who);
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  const std::time_t now = s.now();
  DeviceRecord next = device;
  next.identity = IdentityFrom(*body);
  next.applied_json = CanonicalApplied(*body);
  next.last_error = body->value("last_error", "");
  next.last_checkin = now;
  // Only a changed state costs a write; an unchanged one is a memory update
  // flushed in batches (DeviceRegistry).
  if (next.identity != device.identity || next.applied_json != device.applied_json ||
      next.last_error != device.last_error) {
    if (Status st = s.store.UpdateDeviceState(next); !st) return ErrorToResponse(st.error());
    s.devices.Put(next);
  } else {
    s.devices.Touch(device.id, now);
  }
  DevicePlan plan = s.catalogue.PlanFor(device.group, next.identity);
  std::string etag = AnswerETag(device.id, plan, s.settings, now);
  if (req.Header("if-none-match") == etag) {
    s.metrics.CountCheckin(true);
    Response r;
    r.status = 304;
    r.headers.push_back({"ETag", etag});
    r.hold_seconds = std::clamp(body->value("wait", 0), 0, kMaxWaitSeconds);
    return r;
  }
  auto answer = BuildSignedAnswer(device.id, plan, s, now);
  if (!answer) return ErrorToResponse(answer.error());
  s.metrics.CountCheckin(false);
  Response r;
  r.body = std::move(*answer);
  r.headers.push_back({"ETag", etag});
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

Response HandleBlob(const Request& req, Services& s) {
  std::string_view path = req.Path();
  std::string sha(path.substr(path.rfind('/') + 1));
  BlobPtr blob = s.blobs.Get(sha);
  if (!blob) return ErrorResponse(404, "not_found", "no blob " + sha);
  Response r;
  r.content_type = "application/octet-stream";
  r.shared_body = std::move(blob);
  r.headers.push_back({"Cache-Control", "public, max-age=31536000, immutable"});
  r.headers.push_back({"ETag", "\"" + sha + "\""});
  return r;
}

Response HandleReport(const Request& req, Services& s) {
  auto auth = AuthenticateDevice(req, s);
  if (!auth) return auth.failure;
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  // Validate the fields patchd must send; the rest is kept as sent.
  (void)body->at("patch_id").get<std::string>();
  (void)body->at("result").get<std::string>();
  Status st = s.store.InsertReport({auth.who->id, s.now(), body->dump()});
  if (!st) return ErrorToResponse(st.error());
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace lp::eportal
