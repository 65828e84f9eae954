// Program_options helpers shared by the eportal subcommands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace lp::eportal::cli {

namespace po = boost::program_options;

// Parses args against desc (plus --help and a positional "words" list) and,
// when --config names a file, that file (its unknown keys are ignored, so
// one file can serve both the server and the client). nullopt after
// printing the problem to stderr.
std::optional<po::variables_map> Parse(const std::vector<std::string>& args, po::options_description desc);

template <class T>
T Get(const po::variables_map& vm, const char* name, T fallback = T()) {
  return vm.count(name) ? vm[name].as<T>() : fallback;
}

}  // namespace lp::eportal::cli
