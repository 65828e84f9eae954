// A small blocking HTTP(S) client on libcurl for the admin CLI (and tests).
// One curl handle per request: the CLI makes one or two calls per run.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/error.hpp"

namespace lp::eportal {

struct HttpResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercase
};

struct ClientOptions {
  std::string base_url;              // "https://portal:8443"
  std::string token;                 // bearer token, optional
  std::filesystem::path ca_file;     // CA bundle for a private CA, optional
  long timeout_seconds = 120;
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options) : options_(std::move(options)) {}

  // kNetwork on transport failure; any HTTP status is a result.
  Expected<HttpResult> Send(const std::string& method, const std::string& path, const std::string& body = "",
                            const std::map<std::string, std::string>& headers = {}) const;

 private:
  ClientOptions options_;
};

}  // namespace lp::eportal
