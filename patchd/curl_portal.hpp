// PortalApi over HTTPS with libcurl + OpenSSL: CA file and optional pinned
// public key from the config, connect/total timeouts, a cap on every response
// body. One easy handle per request: check-ins are minutes apart, so connection
// reuse buys nothing and a fresh handle carries no state between requests.
#pragma once

#include <memory>

#include "patchd/config.hpp"
#include "patchd/portal_api.hpp"

namespace lp::patchd {

std::unique_ptr<PortalApi> MakeCurlPortal(const Config& config);

}  // namespace lp::patchd
