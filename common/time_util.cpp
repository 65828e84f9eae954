// FormatTime/ParseTime (declared in keys.hpp): RFC 3339 in UTC, whole
// seconds, 'Z' suffix only. One spelling per instant keeps signed documents
// canonical.
#include <cstdio>
#include <ctime>

#include "common/keys.hpp"

namespace lp {
namespace {

constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:ddZ";

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

int Digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
  return v;
}

}  // namespace

std::string FormatTime(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Expected<std::time_t> ParseTime(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kParse, "time '" + std::string(text) +
                                            "' is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)");
  };
  if (text.size() != kPattern.size()) return bad();
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool ok = kPattern[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kPattern[i];
    if (!ok) return bad();
  }
  std::tm tm{};
  tm.tm_year = Digits(text, 0, 4) - 1900;
  tm.tm_mon = Digits(text, 5, 2) - 1;
  tm.tm_mday = Digits(text, 8, 2);
  tm.tm_hour = Digits(text, 11, 2);
  tm.tm_min = Digits(text, 14, 2);
  tm.tm_sec = Digits(text, 17, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > DaysInMonth(tm.tm_year + 1900, tm.tm_mon + 1) || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 59)
    return bad();
  return ::timegm(&tm);
}

}  // namespace lp
