#include "patchbuild/generate/object_plan.hpp"

#include <cctype>

namespace lp::patchbuild::generate {

size_t ObjectPlan::KlpRelocCount() const {
  size_t n = 0;
  for (const auto& s : sections) n += s.klp.size();
  return n;
}

std::string ReplacementName(const std::string& name) {
  std::string out = "livepatch_";
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  return out;
}

}  // namespace lp::patchbuild::generate
