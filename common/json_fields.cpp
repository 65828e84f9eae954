#include "common/json_fields.hpp"

#include <set>
#include <vector>

namespace lp::json_fields {
namespace {

constexpr std::size_t kMaxEchoedKey = 64;

Error FieldError(const std::string& field, const std::string& problem) {
  return MakeError(ErrorCode::kParse, "field '" + field + "': " + problem);
}

Expected<const Json*> Member(const Json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) return FieldError(Join(path, key), "missing");
  return &*it;
}

}  // namespace

std::string Join(const std::string& path, std::string_view key) {
  std::string shown(key.substr(0, kMaxEchoedKey));
  if (key.size() > kMaxEchoedKey) shown += "...";
  return path.empty() ? shown : path + "." + shown;
}

Expected<Json> ParseObject(std::string_view bytes, std::size_t max_bytes, const char* what) {
  if (bytes.size() > max_bytes)
    return MakeError(ErrorCode::kParse, std::string(what) + " is " + std::to_string(bytes.size()) +
                                            " bytes, more than the limit of " +
                                            std::to_string(max_bytes));
  // nlohmann keeps the last of duplicate keys silently; another parser might
  // keep the first. Refuse them so every reader sees the same document.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto track_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Json::parse_event_t::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  Json j = Json::parse(bytes, track_keys, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kParse, std::string(what) + " is not valid JSON");
  if (!duplicate.empty())
    return MakeError(ErrorCode::kParse, std::string(what) + " has a duplicate key '" + Join("", duplicate) + "'");
  if (!j.is_object()) return MakeError(ErrorCode::kParse, std::string(what) + " is not a JSON object");
  return j;
}

Status RequireExactKeys(const Json& obj, std::initializer_list<const char*> keys,
                        const std::string& path) {
  for (const char* key : keys)
    if (!obj.contains(key)) return FieldError(Join(path, key), "missing");
  for (const auto& [name, value] : obj.items()) {
    bool known = false;
    for (const char* key : keys) known = known || name == key;
    if (!known) return FieldError(Join(path, name), "unexpected field");
  }
  return Ok();
}

Expected<std::string> GetString(const Json& obj, const char* key, const std::string& path,
                                std::size_t max_length) {
  auto m = Member(obj, key, path);
  if (!m) return m.error();
  if (!(*m)->is_string()) return FieldError(Join(path, key), "must be a string");
  const auto& s = (*m)->get_ref<const std::string&>();
  if (s.size() > max_length)
    return FieldError(Join(path, key), "is " + std::to_string(s.size()) + " bytes, more than the limit of " +
                                           std::to_string(max_length));
  return s;
}

Expected<std::string> GetNonEmptyString(const Json& obj, const char* key, const std::string& path,
                                        std::size_t max_length) {
  auto s = GetString(obj, key, path, max_length);
  if (s && s->empty()) return FieldError(Join(path, key), "must not be empty");
  return s;
}

Expected<std::uint64_t> GetUint(const Json& obj, const char* key, const std::string& path,
                                std::uint64_t max) {
  auto m = Member(obj, key, path);
  if (!m) return m.error();
  if (!(*m)->is_number_unsigned())
    return FieldError(Join(path, key), "must be a non-negative integer");
  auto v = (*m)->get<std::uint64_t>();
  if (v > max) return FieldError(Join(path, key), "must be at most " + std::to_string(max));
  return v;
}

Expected<bool> GetBool(const Json& obj, const char* key, const std::string& path) {
  auto m = Member(obj, key, path);
  if (!m) return m.error();
  if (!(*m)->is_boolean()) return FieldError(Join(path, key), "must be true or false");
  return (*m)->get<bool>();
}

Expected<const Json*> GetArray(const Json& obj, const char* key, const std::string& path,
                               std::size_t max_count) {
  auto m = Member(obj, key, path);
  if (!m) return m.error();
  if (!(*m)->is_array()) return FieldError(Join(path, key), "must be an array");
  if ((*m)->size() > max_count)
    return FieldError(Join(path, key), "has " + std::to_string((*m)->size()) + " entries, more than the limit of " +
                                           std::to_string(max_count));
  return *m;
}

Status CheckHex(const std::string& value, std::size_t bytes, const std::string& field) {
  bool lower_hex = !value.empty() && value.size() % 2 == 0;
  for (char c : value) lower_hex = lower_hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!lower_hex) return FieldError(field, "must be lowercase hex");
  if (bytes != 0 && value.size() != bytes * 2)
    return FieldError(field, "must be " + std::to_string(bytes * 2) + " hex digits");
  return Ok();
}

std::string DumpCanonical(const OrderedJson& j) {
  // Invalid UTF-8 is replaced (U+FFFD) rather than thrown: the signed bytes
  // are whatever this returns, so what is signed is what is stored.
  return j.dump(-1, ' ', /*ensure_ascii=*/true, OrderedJson::error_handler_t::replace) + "\n";
}

}  // namespace lp::json_fields
