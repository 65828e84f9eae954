// The signed check-in answer (docs/api.md "POST /api/v1/checkin").
//
// ETag: a hash over what the device should do (device id, poll interval,
// manifests, actions) and the signing window: now / (lifetime / 2). So an
// unchanged answer stays 304 for at most half its lifetime, and a device
// that only ever gets 304s still receives a freshly signed answer before
// its last one expires.
#pragma once

#include <ctime>
#include <string>

#include "eportal/catalogue.hpp"
#include "eportal/services.hpp"

namespace lp::eportal {

std::string AnswerETag(const std::string& device_id, const DevicePlan& plan, const PortalSettings& settings,
                       std::time_t now);

// The envelope JSON: keys document, payload bytes, signature, key id.
Expected<std::string> BuildSignedAnswer(const std::string& device_id, const DevicePlan& plan,
                                        const Services& s, std::time_t now);

}  // namespace lp::eportal
