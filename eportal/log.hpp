// Structured one-line logs on stderr: `ts=… level=… event=… key=value …`.
// Values with spaces or quotes are quoted. Thread-safe (one write per line).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace lp::eportal {

using LogField = std::pair<std::string_view, std::string>;

void Log(std::string_view level, std::string_view event, std::initializer_list<LogField> fields = {});
// Silences Log (tests that start servers keep their output readable).
void SetLogEnabled(bool enabled);

}  // namespace lp::eportal
