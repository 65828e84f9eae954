#include "patchbuild/build/kernel_version.hpp"

#include <charconv>
#include <sstream>

#include "common/file_util.hpp"

namespace lp::patchbuild::tree {
namespace {

std::string Trim(std::string s) {
  std::size_t b = s.find_first_not_of(" \t");
  std::size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "NAME = value" at the start of a line; assignments like "VERSION ?=" are not
// used by kernel Makefiles for these four names.
bool ReadAssignment(const std::string& line, const std::string& name, std::string& value) {
  if (line.compare(0, name.size(), name) != 0) return false;
  std::string rest = Trim(line.substr(name.size()));
  if (rest.empty() || rest[0] != '=') return false;
  value = Trim(rest.substr(1));
  return true;
}

bool ToInt(const std::string& s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string KernelVersion::Upstream() const {
  return std::to_string(version) + "." + std::to_string(patchlevel) + "." +
         std::to_string(sublevel) + extraversion;
}

std::string KernelVersion::Describe() const {
  return debian.empty() ? Upstream() : Upstream() + " (Debian " + debian + ")";
}

Expected<KernelVersion> ParseMakefileVersion(const std::string& text) {
  KernelVersion v;
  std::string version, patchlevel, sublevel;
  bool have_extra = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::string value;
    if (ReadAssignment(line, "VERSION", value) && version.empty()) version = value;
    else if (ReadAssignment(line, "PATCHLEVEL", value) && patchlevel.empty()) patchlevel = value;
    else if (ReadAssignment(line, "SUBLEVEL", value) && sublevel.empty()) sublevel = value;
    else if (!have_extra && ReadAssignment(line, "EXTRAVERSION", value)) {
      v.extraversion = value;
      have_extra = true;
    }
  }
  if (!ToInt(version, v.version) || !ToInt(patchlevel, v.patchlevel) || !ToInt(sublevel, v.sublevel))
    return MakeError(ErrorCode::kParse, "no VERSION/PATCHLEVEL/SUBLEVEL assignments");
  return v;
}

Expected<KernelVersion> ReadMakefileVersion(const std::filesystem::path& makefile) {
  // Debian's per-flavour headers Makefile only includes the common one; follow
  // at most a couple of such includes.
  std::filesystem::path current = makefile;
  for (int depth = 0; depth < 3; ++depth) {
    auto text = ReadFile(current, 4u << 20);
    if (!text) return text.error();
    auto parsed = ParseMakefileVersion(*text);
    if (parsed) return parsed;
    std::istringstream in(*text);
    std::string first;
    std::getline(in, first);
    if (first.rfind("include ", 0) != 0)
      return parsed.error().WithContext(current.string());
    std::filesystem::path next = Trim(first.substr(8));
    current = next.is_absolute() ? next : current.parent_path() / next;
  }
  return MakeError(ErrorCode::kParse, makefile.string() + ": too many nested includes");
}

std::string ReadDebianPackageId(const std::filesystem::path& headers_dir) {
  auto text = ReadFile(headers_dir / "include" / "generated" / "package.h", 1u << 16);
  if (!text) return "";
  const std::string marker = "Debian ";
  std::size_t at = text->find(marker);
  if (at == std::string::npos) return "";
  std::size_t begin = at + marker.size();
  std::size_t end = text->find_first_of("\" \n", begin);
  return text->substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

Status CheckSameVersion(const KernelVersion& source, const KernelVersion& target,
                        const std::string& release) {
  bool debian_differs = !source.debian.empty() && !target.debian.empty() && source.debian != target.debian;
  if (!source.SameUpstream(target) || debian_differs)
    return MakeError(ErrorCode::kConflict, "source tree is " + source.Describe() + ", target " +
                                               release + " was built from " + target.Describe());
  return Ok();
}

}  // namespace lp::patchbuild::tree
