#include "eportal/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "common/raii.hpp"

namespace lp::eportal {
namespace {

using CurlEasyPtr = CPtr<CURL, &curl_easy_cleanup>;
using CurlSlistPtr = CPtr<curl_slist, &curl_slist_free_all>;

size_t OnBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * count;
}

}  // namespace

Expected<HttpResult> HttpClient::Send(const std::string& method, const std::string& path, const std::string& body,
                                      const std::map<std::string, std::string>& headers) const {
  CurlEasyPtr curl(curl_easy_init());
  if (!curl) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* c = curl.get();
  HttpResult result;
  std::string url = options_.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += path;
  CurlSlistPtr list;
  auto add = [&](const std::string& h) { list.reset(curl_slist_append(list.release(), h.c_str())); };
  if (!options_.token.empty()) add("Authorization: Bearer " + options_.token);
  for (const auto& [k, v] : headers) add(k + ": " + v);
  if (method == "POST" && !headers.count("Content-Type")) add("Content-Type: application/json");
  add("Expect:");  // no 100-continue round trip for uploads
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    return MakeError(ErrorCode::kNetwork, method + " " + url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace lp::eportal
