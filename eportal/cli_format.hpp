// Human-readable text for the client commands' JSON answers.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace lp::eportal::cli {

void PrintPatches(std::ostream& out, const nlohmann::json& answer);
void PrintStatus(std::ostream& out, const nlohmann::json& answer);
void PrintDevices(std::ostream& out, const nlohmann::json& answer);
void PrintAudit(std::ostream& out, const nlohmann::json& answer);

}  // namespace lp::eportal::cli
