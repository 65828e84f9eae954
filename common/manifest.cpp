#include "common/manifest.hpp"

#include "common/json_fields.hpp"
#include "common/keys.hpp"

namespace lp {
namespace {

using json_fields::Json;
using json_fields::OrderedJson;

Error FieldError(const std::string& field, const std::string& problem) {
  return MakeError(ErrorCode::kParse, "field '" + field + "': " + problem);
}

// Hand-written character classes, ASCII only and locale independent. No
// std::regex on anything untrusted: libstdc++'s matcher recurses once per
// character, so a long enough value overflows the stack.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsModuleNameChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsFileNameChar(char c) { return IsModuleNameChar(c) || c == '.' || c == '-'; }

template <typename Pred>
bool AllOf(std::string_view s, Pred pred) {
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

// length in [1, max] and every character in the class.
template <typename Pred>
Status CheckChars(const std::string& value, std::size_t max, Pred pred, const std::string& field,
                  const char* expected) {
  if (value.empty() || value.size() > max || !AllOf(value, pred))
    return FieldError(field, std::string("must be ") + expected);
  return Ok();
}

OrderedJson FunctionToJson(const PatchedFunction& f) {
  OrderedJson j;
  j["object"] = f.object;
  j["name"] = f.name;
  j["sympos"] = f.sympos;
  return j;
}

Expected<PatchedFunction> ParseFunction(const Json& j, const std::string& path) {
  if (!j.is_object()) return FieldError(path, "must be an object");
  LP_TRY(json_fields::RequireExactKeys(j, {"object", "name", "sympos"}, path));
  auto object = json_fields::GetNonEmptyString(j, "object", path, kMaxObjectNameLength);
  if (!object) return object.error();
  auto name = json_fields::GetNonEmptyString(j, "name", path, kMaxFunctionNameLength);
  if (!name) return name.error();
  auto sympos = json_fields::GetUint(j, "sympos", path, UINT32_MAX);
  if (!sympos) return sympos.error();
  return PatchedFunction{*object, *name, static_cast<std::uint32_t>(*sympos)};
}

Expected<KernelIdentity> ParseTarget(const Json& root) {
  auto it = root.find("target");
  if (it == root.end()) return FieldError("target", "missing");
  if (!it->is_object()) return FieldError("target", "must be an object");
  LP_TRY(json_fields::RequireExactKeys(*it, {"release", "build_id", "arch"}, "target"));
  auto release = json_fields::GetNonEmptyString(*it, "release", "target", kMaxReleaseLength);
  if (!release) return release.error();
  auto build_id = json_fields::GetString(*it, "build_id", "target", 2 * kMaxBuildIdBytes);
  if (!build_id) return build_id.error();
  LP_TRY(json_fields::CheckHex(*build_id, 0, "target.build_id"));
  auto arch = json_fields::GetNonEmptyString(*it, "arch", "target", kMaxArchLength);
  if (!arch) return arch.error();
  return KernelIdentity{*release, *build_id, *arch};
}

Expected<std::vector<PatchedFunction>> ParseFunctions(const Json& root) {
  auto arr = json_fields::GetArray(root, "functions", "", kMaxFunctions);
  if (!arr) return arr.error();
  std::vector<PatchedFunction> out;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    auto f = ParseFunction((**arr)[i], "functions[" + std::to_string(i) + "]");
    if (!f) return f.error();
    out.push_back(*f);
  }
  return out;
}

}  // namespace

Status CheckPatchId(const std::string& patch_id) {
  const char* expected = "1-128 of [A-Za-z0-9._-], starting with a letter or digit";
  if (!patch_id.empty() && !IsAlnum(patch_id.front())) return FieldError("patch_id", std::string("must be ") + expected);
  return CheckChars(patch_id, kMaxPatchIdLength, IsFileNameChar, "patch_id", expected);
}

Status CheckCveId(const std::string& cve, const std::string& field) {
  // CVE-YYYY-NNNN...: a four-digit year, then at least four digits.
  constexpr std::string_view kPrefix = "CVE-";
  const std::string_view v = cve;
  bool ok = v.size() <= kMaxCveIdLength && v.size() >= kPrefix.size() + 4 + 1 + 4 && v.starts_with(kPrefix) &&
            AllOf(v.substr(4, 4), IsDigit) && v[8] == '-' && AllOf(v.substr(9), IsDigit);
  if (!ok)
    return FieldError(field, "must be a CVE id (CVE-YYYY-NNNN) of at most " + std::to_string(kMaxCveIdLength) +
                                 " characters");
  return Ok();
}

namespace {

Expected<std::vector<std::string>> ParseCves(const Json& root) {
  auto arr = json_fields::GetArray(root, "cves", "", kMaxCves);
  if (!arr) return arr.error();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    std::string field = "cves[" + std::to_string(i) + "]";
    const Json& v = (**arr)[i];
    if (!v.is_string()) return FieldError(field, "must be a string");
    LP_TRY(CheckCveId(v.get_ref<const std::string&>(), field));
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Fields whose values end up in file names, kernel module names or ustar
// headers are restricted to what those places accept.
Status CheckModuleFields(const Manifest& m) {
  LP_TRY(CheckPatchId(m.patch_id));
  LP_TRY(CheckChars(m.module_name, kMaxModuleNameLength, IsModuleNameChar, "module_name",
                    "1-55 of [A-Za-z0-9_]"));
  if (!m.module_file.ends_with(".ko") || m.module_file.size() < 4)
    return FieldError("module_file", "must be a plain file name ending in .ko");
  LP_TRY(CheckChars(m.module_file, kMaxModuleFileLength, IsFileNameChar, "module_file",
                    "a plain file name ending in .ko"));
  LP_TRY(json_fields::CheckHex(m.module_sha256, 32, "module_sha256"));
  LP_TRY(json_fields::CheckHex(m.signing_key_id, 8, "signing_key_id"));
  if (auto t = ParseTime(m.created); !t) return FieldError("created", t.error().message);
  return Ok();
}

Status ParseScalars(const Json& j, Manifest* m) {
  auto patch_id = json_fields::GetNonEmptyString(j, "patch_id", "", kMaxPatchIdLength);
  if (!patch_id) return patch_id.error();
  auto version = json_fields::GetUint(j, "version", "");
  if (!version) return version.error();
  auto module_name = json_fields::GetNonEmptyString(j, "module_name", "", kMaxModuleNameLength);
  if (!module_name) return module_name.error();
  auto module_file = json_fields::GetNonEmptyString(j, "module_file", "", kMaxModuleFileLength);
  if (!module_file) return module_file.error();
  auto sha = json_fields::GetString(j, "module_sha256", "", 64);
  if (!sha) return sha.error();
  auto size = json_fields::GetUint(j, "module_size", "");
  if (!size) return size.error();
  auto replace = json_fields::GetBool(j, "replace", "");
  if (!replace) return replace.error();
  auto description = json_fields::GetString(j, "description", "", kMaxDescriptionLength);
  if (!description) return description.error();
  auto created = json_fields::GetString(j, "created", "", kMaxTimeLength);
  if (!created) return created.error();
  auto builder = json_fields::GetString(j, "builder", "", kMaxBuilderLength);
  if (!builder) return builder.error();
  auto key_id = json_fields::GetString(j, "signing_key_id", "", 16);
  if (!key_id) return key_id.error();
  m->patch_id = *patch_id;
  m->version = *version;
  m->module_name = *module_name;
  m->module_file = *module_file;
  m->module_sha256 = *sha;
  m->module_size = *size;
  m->replace = *replace;
  m->description = *description;
  m->created = *created;
  m->builder = *builder;
  m->signing_key_id = *key_id;
  return Ok();
}

}  // namespace
std::string SerializeManifest(const Manifest& m) {
  OrderedJson j;
  j["schema"] = m.schema;
  j["patch_id"] = m.patch_id;
  j["version"] = m.version;
  j["target"] = OrderedJson{{"release", m.target.release},
                            {"build_id", m.target.build_id},
                            {"arch", m.target.arch}};
  j["module_name"] = m.module_name;
  j["module_file"] = m.module_file;
  j["module_sha256"] = m.module_sha256;
  j["module_size"] = m.module_size;
  j["replace"] = m.replace;
  j["functions"] = OrderedJson::array();
  for (const auto& f : m.functions) j["functions"].push_back(FunctionToJson(f));
  j["cves"] = m.cves;
  j["description"] = m.description;
  j["created"] = m.created;
  j["builder"] = m.builder;
  j["signing_key_id"] = m.signing_key_id;
  return json_fields::DumpCanonical(j);
}

Expected<Manifest> ParseManifest(std::string_view bytes) {
  auto parsed = json_fields::ParseObject(bytes, kMaxManifestBytes, "manifest");
  if (!parsed) return parsed.error();
  const Json& j = *parsed;
  auto schema = json_fields::GetUint(j, "schema", "");
  if (!schema) return schema.error();
  if (*schema != kManifestSchema)
    return FieldError("schema", "unknown schema " + std::to_string(*schema) + " (this build reads " +
                                    std::to_string(kManifestSchema) + ")");
  LP_TRY(json_fields::RequireExactKeys(
      j, {"schema", "patch_id", "version", "target", "module_name", "module_file", "module_sha256",
          "module_size", "replace", "functions", "cves", "description", "created", "builder",
          "signing_key_id"},
      ""));
  Manifest m;
  LP_TRY(ParseScalars(j, &m));
  auto target = ParseTarget(j);
  if (!target) return target.error();
  m.target = *target;
  auto functions = ParseFunctions(j);
  if (!functions) return functions.error();
  m.functions = *functions;
  auto cves = ParseCves(j);
  if (!cves) return cves.error();
  m.cves = *cves;
  LP_TRY(CheckModuleFields(m));
  return m;
}

}  // namespace lp
