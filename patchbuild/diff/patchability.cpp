#include "patchbuild/diff/patchability.hpp"

namespace lp::patchbuild {

bool IsInitOrExitSection(std::string_view section) {
  return section.starts_with(".init.") || section.starts_with(".exit.");
}

std::optional<std::string> UnredirectableSection(std::string_view section) {
  struct Rule {
    std::string_view section;
    std::string_view why;
  };
  static constexpr Rule kRules[] = {
      {".noinstr.text", "noinstr code runs without ftrace, where tracing is unsafe"},
      {".entry.text", "kernel entry code runs without ftrace"},
      {".cpuidle.text", "idle code runs with RCU not watching and is never traced"},
      {".head.text", "early boot code runs once, before ftrace exists"},
  };
  for (const Rule& r : kRules) {
    // gcc keeps an explicit section name under -ffunction-sections, but an
    // assembler or a newer compiler may append ".name".
    if (section == r.section || section.starts_with(std::string(r.section) + "."))
      return "in section " + std::string(section) + ", which livepatch cannot redirect (" + std::string(r.why) + ")";
  }
  return std::nullopt;
}

}  // namespace lp::patchbuild
