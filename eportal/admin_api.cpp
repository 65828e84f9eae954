// Admin endpoints that change state: users, enrollment tokens, releases and
// reverts. Each change and its audit entry commit in one transaction; the
// in-memory catalogue is updated only after the commit.
#include "eportal/handlers.hpp"
#include "eportal/secrets.hpp"

#include <set>

namespace lp::eportal {
namespace {

constexpr std::int64_t kDefaultTokenLifetime = 7 * 24 * 3600;

Expected<std::vector<std::string>> GroupsFrom(const nlohmann::json& body, const UserRecord& caller) {
  std::vector<std::string> groups;
  if (body.contains("groups")) groups = body.at("groups").get<std::vector<std::string>>();
  // A scoped admin can only hand out what it has itself.
  if (!caller.groups.empty() && groups.empty())
    return MakeError(ErrorCode::kPermission, caller.name + " cannot create a user for all groups");
  for (const std::string& g : groups) {
    if (g.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty group name");
    LP_TRY(RequireGroup(caller, g));
  }
  return groups;
}


}  // namespace

Response HandleAddUser(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kAdmin);
  if (!auth) return auth.failure;
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  UserRecord user;
  user.name = body->at("name").get<std::string>();
  auto role = ParseRole(body->at("role").get<std::string>());
  if (user.name.empty() || !role)
    return ErrorResponse(400, "invalid_request", "need a name and a role of viewer, releaser or admin");
  user.role = *role;
  auto groups = GroupsFrom(*body, *auth.who);
  if (!groups) return ErrorToResponse(groups.error());
  user.groups = std::move(*groups);
  std::string token = RandomSecret("ept_");
  user.token_sha256 = Sha256Of(token);
  user.created = s.now();
  Status st = s.store.Atomically([&]() -> Status {
    LP_TRY(s.store.InsertUser(user));
    return Audit(s, auth.who->name, "user.add", {{"name", user.name}, {"role", RoleName(user.role)}, {"groups", user.groups}});
  });
  if (!st) return ErrorToResponse(st.error().code == ErrorCode::kConflict
                                      ? MakeError(ErrorCode::kConflict, "user " + user.name + " exists")
                                      : st.error());
  return JsonResponse(200, {{"name", user.name}, {"token", token}});
}

Response HandleCreateToken(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kAdmin);
  if (!auth) return auth.failure;
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  std::string group = body->at("group").get<std::string>();
  if (group.empty()) return ErrorResponse(400, "invalid_request", "need a group");
  if (Status st = RequireGroup(*auth.who, group); !st) return ErrorToResponse(st.error());
  const std::int64_t lifetime = body->value("expires_in", kDefaultTokenLifetime);
  if (lifetime <= 0) return ErrorResponse(400, "invalid_request", "expires_in must be positive");
  const std::int64_t now = s.now();
  std::string token = RandomSecret("ete_");
  EnrollTokenRecord record{Sha256Of(token), group, now + lifetime, now};
  Status st = s.store.Atomically([&]() -> Status {
    LP_TRY(s.store.EnsureGroup(group, now));
    LP_TRY(s.store.InsertEnrollToken(record));
    return Audit(s, auth.who->name, "token.create", {{"group", group}, {"expires", record.expires}});
  });
  if (!st) return ErrorToResponse(st.error());
  return JsonResponse(200, {{"token", token}, {"group", group}, {"expires", record.expires}});
}

Response HandleRelease(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kReleaser);
  if (!auth) return auth.failure;
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  const std::string patch_id = body->at("patch_id").get<std::string>();
  const std::string group = body->at("group").get<std::string>();
  const std::uint64_t version = body->value("version", std::uint64_t{0});
  if (Status st = RequireGroup(*auth.who, group); !st) return ErrorToResponse(st.error());
  std::vector<PatchPtr> found = s.catalogue.Find(patch_id, version);
  if (found.empty())
    return ErrorResponse(404, "not_found", "no patch " + patch_id + (version ? ":" + std::to_string(version) : ""));
  std::set<std::uint64_t> versions;
  for (const PatchPtr& p : found) versions.insert(p->record.version);
  const std::int64_t now = s.now();
  std::vector<ReleaseEvent> events;
  Status st = s.store.Atomically([&]() -> Status {
    LP_TRY(s.store.EnsureGroup(group, now));
    for (std::uint64_t v : versions) {
      ReleaseEvent e{0, ReleaseEvent::Kind::kRelease, patch_id, v, group, now, auth.who->name};
      auto seq = s.store.InsertReleaseEvent(e);
      if (!seq) return seq.error();
      e.seq = *seq;
      events.push_back(e);
    }
    return Audit(s, auth.who->name, "release", {{"patch_id", patch_id}, {"versions", versions}, {"group", group}});
  });
  if (!st) return ErrorToResponse(st.error());
  for (const ReleaseEvent& e : events) s.catalogue.ApplyEvent(e);
  return JsonResponse(200, {{"patch_id", patch_id}, {"versions", versions}, {"group", group}});
}

Response HandleRevert(const Request& req, Services& s) {
  auto auth = AuthenticateUser(req, s, Role::kReleaser);
  if (!auth) return auth.failure;
  auto body = ParseJsonObject(req);
  if (!body) return ErrorToResponse(body.error());
  const std::string patch_id = body->at("patch_id").get<std::string>();
  const std::string group = body->at("group").get<std::string>();
  if (Status st = RequireGroup(*auth.who, group); !st) return ErrorToResponse(st.error());
  if (s.catalogue.Find(patch_id, 0).empty()) return ErrorResponse(404, "not_found", "no patch " + patch_id);
  const std::int64_t now = s.now();
  ReleaseEvent e{0, ReleaseEvent::Kind::kRevert, patch_id, 0, group, now, auth.who->name};
  Status st = s.store.Atomically([&]() -> Status {
    LP_TRY(s.store.EnsureGroup(group, now));
    auto seq = s.store.InsertReleaseEvent(e);
    if (!seq) return seq.error();
    e.seq = *seq;
    return Audit(s, auth.who->name, "revert", {{"patch_id", patch_id}, {"group", group}});
  });
  if (!st) return ErrorToResponse(st.error());
  s.catalogue.ApplyEvent(e);
  return JsonResponse(200, {{"patch_id", patch_id}, {"group", group}, {"reverted", true}});
}

}  // namespace lp::eportal
