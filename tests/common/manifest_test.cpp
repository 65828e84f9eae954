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

namespace lp {
namespace {

TEST(ManifestHardeningTest, HugeCveIdIsAOneLineErrorNotACrash) {
  auto r = ParseManifest(testing::HostileManifestJson("0123456789abcdef"));
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(testing::IsOneLine(r.error().message));
  EXPECT_NE(r.error().message.find("cves[0]"), std::string::npos) << r.error().message;
}

TEST(ManifestHardeningTest, OversizedManifestIsAOneLineError) {
  auto r = ParseManifest(testing::HostileManifestJson("0123456789abcdef", kMaxManifestBytes));
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(testing::IsOneLine(r.error().message));
}


TEST(ManifestHardeningTest, EveryFieldAndArrayIsBounded) {
  struct Case {
    const char* field;
    std::function<void(Manifest&)> edit;
  };
  const std::vector<Case> cases = {
      {"description", [](Manifest& m) { m.description.assign(kMaxDescriptionLength + 1, 'x'); }},
      {"builder", [](Manifest& m) { m.builder.assign(kMaxBuilderLength + 1, 'x'); }},
      {"target.release", [](Manifest& m) { m.target.release.assign(kMaxReleaseLength + 1, 'x'); }},
      {"target.arch", [](Manifest& m) { m.target.arch.assign(kMaxArchLength + 1, 'x'); }},
      {"target.build_id", [](Manifest& m) { m.target.build_id.assign(2 * kMaxBuildIdBytes + 2, 'a'); }},
      {"patch_id", [](Manifest& m) { m.patch_id.assign(kMaxPatchIdLength + 1, 'a'); }},
      {"module_name", [](Manifest& m) { m.module_name.assign(kMaxModuleNameLength + 1, 'a'); }},
      {"module_file", [](Manifest& m) { m.module_file = std::string(kMaxModuleFileLength, 'a') + ".ko"; }},
      {"created", [](Manifest& m) { m.created.assign(kMaxTimeLength + 1, '1'); }},
      {"functions", [](Manifest& m) { m.functions.assign(kMaxFunctions + 1, m.functions[0]); }},
      {"functions[0].name", [](Manifest& m) { m.functions[0].name.assign(kMaxFunctionNameLength + 1, 'f'); }},
      {"functions[0].object", [](Manifest& m) { m.functions[0].object.assign(kMaxObjectNameLength + 1, 'o'); }},
      {"cves", [](Manifest& m) { m.cves.assign(kMaxCves + 1, "CVE-2024-1234"); }},
      {"cves[0]", [](Manifest& m) { m.cves = {"CVE-2024-" + std::string(kMaxCveIdLength, '1')}; }},
  };
  for (const auto& c : cases) {
    Manifest m = Sample();
    c.edit(m);
    auto r = ParseManifest(SerializeManifest(m));
    ASSERT_FALSE(r.has_value()) << c.field;
    EXPECT_NE(r.error().message.find(std::string("'") + c.field + "'"), std::string::npos) << r.error().message;
    EXPECT_TRUE(testing::IsOneLine(r.error().message));
  }
  // At the bounds: accepted.
  Manifest m = Sample();
  m.description.assign(kMaxDescriptionLength, 'x');
  m.patch_id.assign(kMaxPatchIdLength, 'a');
  m.module_name.assign(kMaxModuleNameLength, 'a');
  m.module_file = std::string(kMaxModuleFileLength - 3, 'a') + ".ko";
  m.cves = {"CVE-2024-" + std::string(kMaxCveIdLength - 9, '1')};
  auto r = ParseManifest(SerializeManifest(m));
  EXPECT_TRUE(r.has_value()) << r.error().message;
}

TEST(ManifestHardeningTest, HandWrittenChecksMatchTheOldPatterns) {
  for (const char* ok : {"CVE-2024-1234", "CVE-1999-0001", "CVE-2024-12345678"})
    EXPECT_TRUE(CheckCveId(ok)) << ok;
  for (const char* bad : {"CVE-2024-123", "CVE-24-1234", "cve-2024-1234", "CVE-2024-12a4", "CVE-2024_1234",
                          "CVE-20241-1234", "", "CVE-2024-1234 "})
    EXPECT_FALSE(CheckCveId(bad)) << bad;
  for (const char* ok : {"a", "lp-cmdline", "9x._-", "A.b"}) EXPECT_TRUE(CheckPatchId(ok)) << ok;
  for (const char* bad : {"", "-a", ".a", "_a", "a b", "a/b", "\xc3\xa9"}) EXPECT_FALSE(CheckPatchId(bad)) << bad;
}

}  // namespace
}  // namespace lp
