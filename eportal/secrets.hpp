// Hashing and random secrets for tokens and credentials. Bearer secrets are
// only ever stored as their sha256, so a leaked database grants no access.
#pragma once

#include <string>
#include <string_view>

namespace lp::eportal {

// Lowercase hex sha256 of data.
std::string Sha256Of(std::string_view data);

// prefix + 2*bytes lowercase hex characters from the OpenSSL CSPRNG.
std::string RandomSecret(std::string_view prefix, std::size_t bytes = 32);

// Constant-time comparison for secrets and their digests.
bool SecretEquals(std::string_view a, std::string_view b);

}  // namespace lp::eportal
