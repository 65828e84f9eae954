#include "patchbuild/module_name.hpp"

#include <algorithm>

namespace lp::patchbuild {
namespace {

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Error NotAName(std::string_view name, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, "'" + std::string(name) + "' is not a module name: " + why);
}

}  // namespace

Status CheckModuleName(std::string_view name, std::size_t max_len) {
  if (name.empty()) return NotAName(name, "it is empty");
  if (name.size() > max_len)
    return NotAName(name, std::to_string(name.size()) + " characters, at most " + std::to_string(max_len));
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) return NotAName(name, "only a-z, 0-9 and _");
  if (IsDigit(name.front())) return NotAName(name, "it starts with a digit");
  return Ok();
}

Expected<std::string> ModuleNameForVersion(std::string_view patch_id, std::uint64_t version, std::size_t max_len) {
  std::string id;
  for (char c : patch_id) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-' || c == '.') c = '_';
    if (IsNameChar(c)) id += c;
  }
  // Underscores at either end would only pile up next to the prefix and the suffix.
  id.erase(0, id.find_first_not_of('_'));
  id.erase(id.find_last_not_of('_') + 1);
  if (id.empty())
    return MakeError(ErrorCode::kInvalidArgument,
                     "patch id '" + std::string(patch_id) + "' has no letter or digit to make a module name of");
  const std::string prefix = id.starts_with("lp_") ? "" : "lp_";
  const std::string suffix = "_v" + std::to_string(version);
  if (prefix.size() + suffix.size() >= max_len)
    return MakeError(ErrorCode::kInvalidArgument, "no room for a patch id in a module name of at most " +
                                                      std::to_string(max_len) + " characters");
  id.resize(std::min(id.size(), max_len - prefix.size() - suffix.size()));
  while (id.back() == '_') id.pop_back();  // a cut can end on one; id[0] is a letter or digit
  std::string name = prefix + id + suffix;
  LP_TRY(CheckModuleName(name, max_len));
  return name;
}

Expected<std::string> ResolveModuleName(const std::optional<std::string>& name,
                                        const std::optional<std::string>& patch_id, std::uint64_t version) {
  if (name) {
    if (auto ok = CheckModuleName(*name); !ok) return ok.error().WithContext("--name");
    return *name;
  }
  if (patch_id) {
    auto derived = ModuleNameForVersion(*patch_id, version);
    if (!derived) return derived.error().WithContext("--patch-id (no --name given)");
    return derived;
  }
  return std::string(kDefaultModuleName);
}

}  // namespace lp::patchbuild
