#include "patchbuild/cli_options.hpp"

#include <ostream>

namespace lp::patchbuild::cli {

Expected<po::variables_map> ParseArgs(const std::vector<std::string>& args,
                                      const po::options_description& desc,
                                      const po::positional_options_description& positional) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {  // po::error and bad_lexical_cast
    return MakeError(ErrorCode::kInvalidArgument, e.what());
  }
  return vm;
}

int ReportError(Io io, const std::string& command, const Error& error) {
  io.err << "patchbuild " << command << ": " << error.message << "\n";
  return kExitError;
}

void PrintUsage(std::ostream& os, const std::string& usage, const po::options_description& desc) {
  os << "usage: " << usage << "\n" << desc;
}

}  // namespace lp::patchbuild::cli
