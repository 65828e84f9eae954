// The eportal command line (thin main -> cli::Main). Exit status: 0 ok,
// 1 error (including an HTTP error answer or a broken audit chain), 2 usage.
#pragma once

#include <string>
#include <vector>

namespace lp::eportal::cli {

int Main(const std::vector<std::string>& args);  // args without argv[0]

// Per-command entry points; words are the positional words after the
// command, args all arguments (options included).
int RunServe(const std::vector<std::string>& args);
int RunInit(const std::vector<std::string>& args);
int RunClient(const std::vector<std::string>& command, const std::vector<std::string>& args);

void PrintUsage();

}  // namespace lp::eportal::cli
