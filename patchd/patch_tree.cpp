#include "patchd/patch_tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/file_util.hpp"

namespace lp::patchd {
namespace fs = std::filesystem;
namespace {

std::optional<int> OptionalInt(const fs::path& file) {
  auto v = ReadIntAttribute(file);
  if (!v) return std::nullopt;
  return *v;
}

// "cmdline_proc_show,1" -> {name, sympos}
PatchedFunctionState ParseFunctionDir(const std::string& entry) {
  PatchedFunctionState f;
  std::size_t comma = entry.rfind(',');
  f.name = entry.substr(0, comma);
  if (comma != std::string::npos) {
    const char* b = entry.data() + comma + 1;
    std::from_chars(b, entry.data() + entry.size(), f.sympos);
  }
  return f;
}

std::vector<PatchedObjectState> ReadObjects(const fs::path& patch_dir) {
  std::vector<PatchedObjectState> objects;
  std::error_code ec;
  for (const auto& obj : fs::directory_iterator(patch_dir, ec)) {
    if (!obj.is_directory(ec)) continue;
    PatchedObjectState o;
    o.name = obj.path().filename().string();
    if (auto p = OptionalInt(obj.path() / "patched")) o.patched = *p != 0;
    for (const auto& fn : fs::directory_iterator(obj.path(), ec))
      if (fn.is_directory(ec)) o.functions.push_back(ParseFunctionDir(fn.path().filename().string()));
    std::sort(o.functions.begin(), o.functions.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    objects.push_back(std::move(o));
  }
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return objects;
}

}  // namespace

Expected<int> ReadIntAttribute(const fs::path& file) {
  auto text = ReadFile(file, 4096);
  if (!text) return text.error();
  int v = 0;
  const char* b = text->data();
  while (b < text->data() + text->size() && (*b == ' ' || *b == '\t')) ++b;
  auto [ptr, ec] = std::from_chars(b, text->data() + text->size(), v);
  if (ec != std::errc() || ptr == b)
    return MakeError(ErrorCode::kParse, file.string() + ": not an integer");
  return v;
}

Status WriteIntAttribute(const fs::path& file, int value) {
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kKernel,
                     "opening " + file.string() + ": " + std::strerror(err));
  }
  std::string text = std::to_string(value) + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return MakeError(ErrorCode::kKernel, "writing " + file.string() + ": " + std::strerror(errno));
  return Ok();
}

Expected<std::vector<std::string>> ListPatchDirs(const fs::path& livepatch_dir) {
  std::error_code ec;
  if (!fs::is_directory(livepatch_dir, ec))
    return MakeError(ErrorCode::kUnsupported, livepatch_dir.string() + " does not exist");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(livepatch_dir, ec))
    if (e.is_directory(ec)) names.push_back(e.path().filename().string());
  if (ec) return MakeError(ErrorCode::kIo, "listing " + livepatch_dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Expected<PatchState> ReadPatchDir(const fs::path& livepatch_dir, const std::string& name) {
  fs::path dir = livepatch_dir / name;
  std::error_code ec;
  if (name.empty() || name.find('/') != std::string::npos || !fs::is_directory(dir, ec))
    return MakeError(ErrorCode::kNotFound, "no livepatch " + name);
  PatchState s;
  s.name = name;
  auto enabled = ReadIntAttribute(dir / "enabled");
  if (!enabled) return enabled.error();
  auto transition = ReadIntAttribute(dir / "transition");
  if (!transition) return transition.error();
  s.enabled = *enabled != 0;
  s.transition = *transition != 0;
  if (auto r = OptionalInt(dir / "replace")) s.replace = *r != 0;
  s.stack_order = OptionalInt(dir / "stack_order");
  s.objects = ReadObjects(dir);
  return s;
}

}  // namespace lp::patchd
