// Kernel log lines worth sending with a report: what the kernel said about
// the module and livepatch (a refused symbol, a stalled transition, an oops).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace lp::patchd {

// Returns the log lines relevant to a module (tests inject their own).
using KernelLogReader = std::function<std::vector<std::string>(const std::string& module_name)>;

// Reads the kernel ring buffer with syslog(2) (needs CAP_SYSLOG; empty when
// refused) and keeps the last max_lines lines naming the module, "livepatch"
// or an oops marker.
std::vector<std::string> ReadKernelLog(const std::string& module_name, std::size_t max_lines = 20);

// Filters a ring-buffer dump the same way (separate for testing).
std::vector<std::string> RelevantKernelLines(const std::string& dump, const std::string& module_name,
                                             std::size_t max_lines);

}  // namespace lp::patchd
