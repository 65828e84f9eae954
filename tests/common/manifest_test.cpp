#include "common/manifest.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/common/test_helpers.hpp"

namespace lp {
namespace {

using nlohmann::ordered_json;

Manifest Sample() { return testing::SampleManifest("module bytes", "0123456789abcdef"); }

// Parses the canonical form of Sample(), applies edit to the JSON, and
// returns the parse error message ("" if it parsed).
std::string ParseEdited(const std::function<void(ordered_json&)>& edit) {
  ordered_json j = ordered_json::parse(SerializeManifest(Sample()));
  edit(j);
  auto m = ParseManifest(j.dump());
  if (m.has_value()) return "";
  EXPECT_EQ(m.error().code, ErrorCode::kParse);
  return m.error().message;
}

TEST(ManifestTest, RoundTripIsCanonical) {
  std::string text = SerializeManifest(Sample());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("\n"), text.size() - 1);  // compact: only the trailing newline
  EXPECT_EQ(text.rfind("{\"schema\":1,\"patch_id\":\"lp-cmdline\",\"version\":3,", 0), 0u);
  auto parsed = ParseManifest(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, Sample());
  EXPECT_EQ(SerializeManifest(*parsed), text);
}

TEST(ManifestTest, AcceptsEmptyListsAndReplaceFalse) {
  Manifest m = Sample();
  m.functions.clear();
  m.cves.clear();
  m.replace = false;
  auto parsed = ParseManifest(SerializeManifest(m));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, m);
}

TEST(ManifestTest, RejectsUnknownSchema) {
  auto msg = ParseEdited([](ordered_json& j) { j["schema"] = 2; });
  EXPECT_NE(msg.find("unknown schema 2"), std::string::npos) << msg;
}

TEST(ManifestTest, RejectsMissingAndExtraFields) {
  for (const char* field : {"patch_id", "version", "target", "module_sha256", "functions",
                            "signing_key_id", "created", "replace"}) {
    auto msg = ParseEdited([&](ordered_json& j) { j.erase(field); });
    EXPECT_NE(msg.find(std::string("'") + field + "': missing"), std::string::npos) << msg;
  }
  auto extra = ParseEdited([](ordered_json& j) { j["surprise"] = 1; });
  EXPECT_NE(extra.find("'surprise': unexpected field"), std::string::npos) << extra;
  auto nested = ParseEdited([](ordered_json& j) { j["target"]["kaslr"] = true; });
  EXPECT_NE(nested.find("'target.kaslr'"), std::string::npos) << nested;
  auto missing_nested = ParseEdited([](ordered_json& j) { j["target"].erase("arch"); });
  EXPECT_NE(missing_nested.find("'target.arch': missing"), std::string::npos) << missing_nested;
}

TEST(ManifestTest, RejectsWrongTypes) {
  struct Case {
    std::function<void(ordered_json&)> edit;
    const char* field;
  } cases[] = {
      {[](ordered_json& j) { j["version"] = "3"; }, "'version'"},
      {[](ordered_json& j) { j["version"] = -1; }, "'version'"},
      {[](ordered_json& j) { j["version"] = 1.5; }, "'version'"},
      {[](ordered_json& j) { j["replace"] = 1; }, "'replace'"},
      {[](ordered_json& j) { j["functions"] = ordered_json::object(); }, "'functions'"},
      {[](ordered_json& j) { j["functions"][1]["sympos"] = "2"; }, "'functions[1].sympos'"},
      {[](ordered_json& j) { j["functions"][0]["sympos"] = 1ull << 33; }, "'functions[0].sympos'"},
      {[](ordered_json& j) { j["functions"][0] = "x"; }, "'functions[0]'"},
      {[](ordered_json& j) { j["cves"][0] = 5; }, "'cves[0]'"},
      {[](ordered_json& j) { j["target"] = "6.1"; }, "'target'"},
      {[](ordered_json& j) { j["description"] = nullptr; }, "'description'"},
  };
  for (const auto& c : cases) {
    auto msg = ParseEdited(c.edit);
    EXPECT_NE(msg.find(c.field), std::string::npos) << c.field << " -> " << msg;
  }
}

TEST(ManifestTest, RejectsBadValues) {
  struct Case {
    std::function<void(ordered_json&)> edit;
    const char* field;
  } cases[] = {
      {[](ordered_json& j) { j["module_sha256"] = std::string(64, 'A'); }, "'module_sha256'"},
      {[](ordered_json& j) { j["module_sha256"] = std::string(62, 'a'); }, "'module_sha256'"},
      {[](ordered_json& j) { j["module_sha256"] = std::string(63, 'a') + "g"; }, "'module_sha256'"},
      {[](ordered_json& j) { j["target"]["build_id"] = "xyz"; }, "'target.build_id'"},
      {[](ordered_json& j) { j["target"]["build_id"] = ""; }, "'target.build_id'"},
      {[](ordered_json& j) { j["patch_id"] = ""; }, "'patch_id'"},
      {[](ordered_json& j) { j["patch_id"] = "../etc"; }, "'patch_id'"},
      {[](ordered_json& j) { j["module_file"] = "../x.ko"; }, "'module_file'"},
      {[](ordered_json& j) { j["module_file"] = "x.o"; }, "'module_file'"},
      {[](ordered_json& j) { j["module_name"] = "lp-cmdline"; }, "'module_name'"},
      {[](ordered_json& j) { j["cves"][0] = "CVE-24-1"; }, "'cves[0]'"},
      {[](ordered_json& j) { j["created"] = "2026-11-18 10:00:00"; }, "'created'"},
      {[](ordered_json& j) { j["signing_key_id"] = "short"; }, "'signing_key_id'"},
  };
  for (const auto& c : cases) {
    auto msg = ParseEdited(c.edit);
    EXPECT_NE(msg.find(c.field), std::string::npos) << c.field << " -> " << msg;
  }
}

TEST(ManifestTest, RejectsDuplicateKeys) {
  std::string text = SerializeManifest(Sample());
  std::string dup_top = text;
  dup_top.insert(1, "\"version\":99,");
  auto r1 = ParseManifest(dup_top);
  ASSERT_FALSE(r1.has_value());
  EXPECT_NE(r1.error().message.find("duplicate key 'version'"), std::string::npos) << r1.error().message;
  std::string dup_nested = text;
  dup_nested.insert(dup_nested.find("{\"release\"") + 1, "\"arch\":\"arm\",");
  auto r2 = ParseManifest(dup_nested);
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message.find("duplicate key 'arch'"), std::string::npos) << r2.error().message;
  // The same key in two different objects is not a duplicate.
  EXPECT_TRUE(ParseManifest(text).has_value());
}

TEST(ManifestTest, RejectsOversizedAndNonJson) {
  std::string big = SerializeManifest(Sample());
  big.insert(1, std::string(kMaxManifestBytes, ' '));
  auto r = ParseManifest(big);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("limit"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseManifest("{\"schema\":1,").has_value());
  EXPECT_FALSE(ParseManifest("[1,2]").has_value());
  EXPECT_FALSE(ParseManifest("").has_value());
}

}  // namespace
}  // namespace lp
