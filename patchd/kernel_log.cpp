#include "patchd/kernel_log.hpp"

#include <sys/klog.h>

#include <sstream>

namespace lp::patchd {
namespace {

constexpr int kSyslogActionReadAll = 3;      // SYSLOG_ACTION_READ_ALL
constexpr int kSyslogActionSizeBuffer = 10;  // SYSLOG_ACTION_SIZE_BUFFER

}  // namespace

std::vector<std::string> RelevantKernelLines(const std::string& dump, const std::string& module_name,
                                             std::size_t max_lines) {
  static const char* const kMarkers[] = {"livepatch", "BUG:", "Oops", "WARNING:", "Call Trace"};
  std::vector<std::string> out;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    bool relevant = !module_name.empty() && line.find(module_name) != std::string::npos;
    for (const char* m : kMarkers) relevant = relevant || line.find(m) != std::string::npos;
    if (relevant) out.push_back(line);
  }
  if (out.size() > max_lines) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(max_lines));
  return out;
}

std::vector<std::string> ReadKernelLog(const std::string& module_name, std::size_t max_lines) {
  int size = ::klogctl(kSyslogActionSizeBuffer, nullptr, 0);
  if (size <= 0) return {};
  std::string buf(static_cast<std::size_t>(size), '\0');
  int n = ::klogctl(kSyslogActionReadAll, buf.data(), size);
  if (n <= 0) return {};
  buf.resize(static_cast<std::size_t>(n));
  return RelevantKernelLines(buf, module_name, max_lines);
}

}  // namespace lp::patchd
