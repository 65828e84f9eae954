#include "patchbuild/diff/export_crcs.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/file_util.hpp"

namespace lp::patchbuild {
namespace {

std::string Hex(uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", crc);
  return buf;
}

std::optional<uint32_t> ParseCrc(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 0);
  if (*end != '\0' || value > 0xffffffffull) return std::nullopt;
  return static_cast<uint32_t>(value);
}

// The remedy for both kinds of refusal that the patch causes.
constexpr const char* kRemedy =
    "keep the exported function's prototype and the types it uses as they are (add a new function for a new "
    "interface)";

}  // namespace

std::filesystem::path KbuildRecordOf(const std::filesystem::path& object) {
  return object.parent_path() / ("." + object.filename().string() + ".cmd");
}

ExportCrcs ParseSymverLines(std::string_view record) {
  ExportCrcs out;
  std::istringstream in{std::string(record)};
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("#SYMVER ")) continue;
    std::istringstream fields(line.substr(8));
    std::string name, crc;
    fields >> name >> crc;
    if (auto value = ParseCrc(crc); value && !name.empty()) out[name] = *value;
  }
  return out;
}

std::optional<ExportCrcs> ReadObjectExportCrcs(const std::filesystem::path& object) {
  auto text = ReadFile(KbuildRecordOf(object));
  if (!text) return std::nullopt;
  return ParseSymverLines(*text);
}

Expected<ExportCrcs> ReadModuleSymversCrcs(const std::filesystem::path& module_symvers) {
  auto text = ReadFile(module_symvers);
  if (!text) return text.error();
  ExportCrcs out;
  std::istringstream in(*text);
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string crc, name;
    std::getline(fields, crc, '\t');
    std::getline(fields, name, '\t');
    auto value = ParseCrc(crc);
    if (!value || name.empty())
      return MakeError(ErrorCode::kParse, module_symvers.string() + ":" + std::to_string(line_no) +
                                              ": not a Module.symvers line");
    out[name] = *value;
  }
  return out;
}

std::vector<Problem> CompareExportCrcs(const ExportCrcs& original, const ExportCrcs& patched) {
  std::vector<Problem> problems;
  for (const auto& [name, before] : original) {
    auto it = patched.find(name);
    if (it == patched.end() || it->second == before) continue;
    problems.push_back({name, "the patch changes the modversions CRC of this exported symbol (" + Hex(before) +
                                  " -> " + Hex(it->second) +
                                  "): its prototype or a type it uses changed, and modules built for the "
                                  "target still call it the old way; " + kRemedy});
  }
  return problems;
}

std::vector<Problem> CompareWithTargetCrcs(const ExportCrcs& object_crcs, const ExportCrcs& target,
                                           std::string_view which) {
  std::vector<Problem> problems;
  const bool original = which == "original";
  for (const auto& [name, crc] : object_crcs) {
    auto it = target.find(name);
    if (it == target.end() || it->second == crc) continue;
    problems.push_back(
        {name, "the " + std::string(which) + " build's modversions CRC of this exported symbol (" + Hex(crc) +
                   ") differs from the target's Module.symvers (" + Hex(it->second) + "): " +
                   (original ? "the tree is not the target's source or configuration"
                             : std::string("the patch changes its interface; ") + kRemedy)});
  }
  return problems;
}

Status CheckOriginalCrcsAgainstTarget(const std::vector<std::filesystem::path>& originals,
                                      const std::filesystem::path& module_symvers) {
  std::optional<ExportCrcs> target;  // read only when some object has a record
  for (const auto& object : originals) {
    const auto crcs = ReadObjectExportCrcs(object);
    if (!crcs || crcs->empty()) continue;
    if (!target) {
      auto read = ReadModuleSymversCrcs(module_symvers);
      if (!read) return read.error();
      target = std::move(*read);
    }
    const auto problems = CompareWithTargetCrcs(*crcs, *target, "original");
    if (!problems.empty())
      return MakeError(ErrorCode::kVerification,
                       object.string() + ": " + problems.front().symbol + ": " + problems.front().reason);
  }
  return Ok();
}

}  // namespace lp::patchbuild
