// Boost.Program_options plumbing shared by the subcommands. Boost throws;
// these helpers catch at the call site and return an Error instead.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/cli.hpp"

namespace lp::patchbuild::cli {

namespace po = boost::program_options;

// Parses args (the subcommand's own arguments) against desc and positional.
Expected<po::variables_map> ParseArgs(const std::vector<std::string>& args,
                                      const po::options_description& desc,
                                      const po::positional_options_description& positional);

// Prints "patchbuild <command>: <message>" to io.err and returns kExitError.
int ReportError(Io io, const std::string& command, const Error& error);

// Prints usage text and the options.
void PrintUsage(std::ostream& os, const std::string& usage, const po::options_description& desc);

}  // namespace lp::patchbuild::cli
