// How a device stands against what was released to it, for status views.
#pragma once

#include <ctime>
#include <string>

#include "eportal/catalogue.hpp"
#include "eportal/records.hpp"

namespace lp::eportal {

// "stale": not seen for stale_after seconds (or never);
// "failed": a patch it should have is reported failed or refused;
// "pending": a released patch is not applied yet, or a reverted one still is;
// "patched": everything released to it is applied (also when nothing is).
std::string ClassifyDevice(const DeviceRecord& device, const DevicePlan& plan, std::time_t now,
                           int stale_after);

// True when a patch for this device's kernel fixes cve but the device has
// not applied any version that lists it. A device whose kernel has no
// patch for cve is not reported: the portal cannot know.
bool IsExposed(const DeviceRecord& device, const Catalogue& catalogue, const std::string& cve);

}  // namespace lp::eportal
