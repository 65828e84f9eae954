#include "eportal/records.hpp"

#include <algorithm>

namespace lp::eportal {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kReleaser: return "releaser";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "releaser") return Role::kReleaser;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

bool UserRecord::CanSeeGroup(std::string_view group) const {
  return groups.empty() || std::find(groups.begin(), groups.end(), group) != groups.end();
}

}  // namespace lp::eportal
