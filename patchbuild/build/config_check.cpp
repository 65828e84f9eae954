#include "patchbuild/build/config_check.hpp"

#include <sstream>
#include <string_view>

namespace lp::patchbuild::tree {

std::map<std::string, std::string> ParseKernelConfig(const std::string& text) {
  std::map<std::string, std::string> options;
  std::istringstream in(text);
  const std::string not_set = " is not set";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("CONFIG_", 0) == 0) {
      std::size_t eq = line.find('=');
      if (eq != std::string::npos) options[line.substr(0, eq)] = line.substr(eq + 1);
    } else if (line.rfind("# CONFIG_", 0) == 0 && line.size() > not_set.size() &&
               line.compare(line.size() - not_set.size(), not_set.size(), not_set) == 0) {
      // Spelled this way because gcc 12 -O2 warns falsely (-Wrestrict, PR 105329)
      // on assigning a string literal to a map element here.
      std::string_view name(line);
      name.remove_prefix(2);
      name.remove_suffix(not_set.size());
      options[std::string(name)] = std::string(1, 'n');
    }
  }
  return options;
}

std::vector<std::string> ConfigDifferences(const std::string& target, const std::string& tree,
                                           std::size_t limit) {
  auto want = ParseKernelConfig(target);
  auto have = ParseKernelConfig(tree);
  std::vector<std::string> diffs;
  auto note = [&](const std::string& name, const std::string& a, const std::string& b) {
    if (diffs.size() < limit) diffs.push_back(name + ": target " + a + ", tree " + b);
    else if (diffs.size() == limit) diffs.push_back("...");
  };
  for (const auto& [name, value] : want) {
    auto it = have.find(name);
    std::string got = it == have.end() ? "(absent)" : it->second;
    if (got != value) note(name, value, got);
  }
  for (const auto& [name, value] : have)
    if (!want.count(name)) note(name, "(absent)", value);
  return diffs;
}

}  // namespace lp::patchbuild::tree
