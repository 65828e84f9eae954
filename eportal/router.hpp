// The portal's HTTP API (docs/api.md) as one pure function: no sockets, no
// Beast. The server calls it from its I/O or worker threads; tests call it
// directly. Thread-safe as long as Services is (it is).
#pragma once

#include "eportal/http_types.hpp"
#include "eportal/services.hpp"

namespace lp::eportal {

Response Handle(const Request& request, Services& services);

// Largest request body accepted for this method + path (read before the
// body, so the server can refuse oversized uploads early).
std::size_t BodyLimitFor(std::string_view method, std::string_view path);

}  // namespace lp::eportal
