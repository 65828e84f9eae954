#include "eportal/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace lp::eportal {
namespace {

std::atomic<bool> g_enabled{true};

void AppendValue(std::string& line, std::string_view value) {
  bool plain = !value.empty() && value.find_first_of(" \"=\n\t") == std::string_view::npos;
  if (plain) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') line += '\\';
    line += c == '\n' ? ' ' : c;
  }
  line += '"';
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // roomy: gcc cannot prove the fields stay 2 digits
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

void SetLogEnabled(bool enabled) { g_enabled = enabled; }

void Log(std::string_view level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!g_enabled) return;
  std::string line = "ts=" + Timestamp() + " level=" + std::string(level) + " event=" + std::string(event);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    AppendValue(line, value);
  }
  line += '\n';
  // One write(2) per line keeps lines from different threads whole.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace lp::eportal
