// Strict field access for the signed JSON documents (manifest, keys
// document) and patchd's check-in answer. Never throws. Every error names the field by its path
// ("target.build_id", "functions[2].sympos") so a refused document says why.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace lp::json_fields {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses bytes (at most max_bytes) into a JSON object; never throws.
Expected<Json> ParseObject(std::string_view bytes, std::size_t max_bytes, const char* what);

// The object has exactly these keys: a missing or an extra one is an error.
Status RequireExactKeys(const Json& obj, std::initializer_list<const char*> keys,
                        const std::string& path);

// Strings and arrays are bounded by every caller: a longer string or a
// longer array is an error naming the field and the limit.
Expected<std::string> GetString(const Json& obj, const char* key, const std::string& path,
                                std::size_t max_length);
Expected<std::string> GetNonEmptyString(const Json& obj, const char* key, const std::string& path,
                                        std::size_t max_length);
Expected<std::uint64_t> GetUint(const Json& obj, const char* key, const std::string& path,
                                std::uint64_t max = UINT64_MAX);
Expected<bool> GetBool(const Json& obj, const char* key, const std::string& path);
Expected<const Json*> GetArray(const Json& obj, const char* key, const std::string& path,
                               std::size_t max_count);

// Lowercase hex of exactly `bytes` bytes (0: any non-zero even length).
Status CheckHex(const std::string& value, std::size_t bytes, const std::string& field);

// Compact, ASCII-only (non-ASCII escaped) dump plus a trailing newline: the
// canonical byte form that gets signed.
std::string DumpCanonical(const OrderedJson& j);

// path.key, for error messages; a hostile key name is cut short so the
// message stays one short line.
std::string Join(const std::string& path, std::string_view key);

}  // namespace lp::json_fields
