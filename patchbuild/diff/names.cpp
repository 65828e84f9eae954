#include "patchbuild/diff/names.hpp"

#include <algorithm>
#include <cctype>

namespace lp::patchbuild {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string NormalizedName(std::string_view name) {
  // <linux/compiler.h>'s __UNIQUE_ID(prefix) pastes __COUNTER__ straight on:
  // `__UNIQUE_ID_ddebug412`, `__UNIQUE_ID___addressable_kfree273`.
  constexpr std::string_view kUniqueId = "__UNIQUE_ID_";
  if (name.starts_with(kUniqueId) && name.find('.') == std::string_view::npos) {
    size_t end = name.size();
    while (end > kUniqueId.size() && std::isdigit(static_cast<unsigned char>(name[end - 1]))) --end;
    return std::string(name.substr(0, end));
  }
  // The first component is the source name itself and is always kept, even
  // if it were all digits; leading dots (section-like names) are kept too.
  const size_t first_dot = name.find('.', 1);
  if (first_dot == std::string_view::npos) return std::string(name);
  std::string out(name.substr(0, first_dot));
  size_t pos = first_dot;
  while (pos != std::string_view::npos) {
    const size_t next = name.find('.', pos + 1);
    const std::string_view part = name.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    if (!AllDigits(part)) {
      out += '.';
      out += part;
    }
    pos = next;
  }
  return out;
}

bool HasNumberedSuffix(std::string_view name) { return NormalizedName(name) != name; }

std::string ColdParentName(std::string_view name) {
  const std::string norm = NormalizedName(name);
  constexpr std::string_view kCold = ".cold";
  if (norm.size() <= kCold.size() || !norm.ends_with(kCold)) return "";
  // The parent is the name before ".cold" with its own numbers intact:
  // "foo.isra.0.cold" -> "foo.isra.0".
  const size_t at = std::string_view(name).rfind(".cold");
  return std::string(name.substr(0, at));
}

bool IsAssemblerLocal(std::string_view name) { return name.starts_with(".L"); }

}  // namespace lp::patchbuild
