#include "patchd/curl_portal.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <mutex>

#include "common/raii.hpp"

namespace lp::patchd {
namespace {

using CurlPtr = CPtr<CURL, &curl_easy_cleanup>;
using CurlSlistPtr = CPtr<curl_slist, &curl_slist_free_all>;

constexpr std::size_t kMaxJsonBytes = 8u << 20;
// The slowest link a module download is sized for (bytes per second).
constexpr std::size_t kMinBlobRate = 16u << 10;

struct Sink {
  std::string body;
  std::size_t limit = 0;
  bool overflow = false;
  std::string etag;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t len = size * n;
  if (sink->body.size() + len > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, len);
  return len;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
  std::string line(data, size * n);
  if (line.size() > 5 && ::strncasecmp(line.c_str(), "etag:", 5) == 0) {
    std::string v = line.substr(5);
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    static_cast<Sink*>(user)->etag = v;
  }
  return size * n;
}

struct HttpResult {
  long status = 0;
  std::string body;
  std::string etag;
};

class CurlPortalApi final : public PortalApi {
 public:
  explicit CurlPortalApi(const Config& c) : config_(c) {
    while (!config_.portal_url.empty() && config_.portal_url.back() == '/') config_.portal_url.pop_back();
  }

  Expected<EnrollResult> Enroll(const std::string& token, const std::string& hostname,
                                const KernelIdentity& identity) override {
    auto r = Request("POST", "/api/v1/enroll", EnrollBody(token, hostname, identity), {}, kMaxJsonBytes);
    if (!r) return r.error();
    if (r->status != 200) return StatusError("enroll", *r);
    return ParseEnrollResponse(r->body);
  }

  Expected<CheckinResponse> CheckIn(const std::string& credential, const CheckinRequest& request) override {
    std::vector<std::string> headers{"Authorization: Bearer " + credential};
    if (!request.etag.empty()) headers.push_back("If-None-Match: " + request.etag);
    auto r = Request("POST", "/api/v1/checkin", CheckinBody(request), headers, kMaxJsonBytes,
                     request.wait_s);
    if (!r) return r.error();
    if (r->status == 304) return CheckinResponse{true, "", request.etag};
    if (r->status != 200) return StatusError("check-in", *r);
    return CheckinResponse{false, std::move(r->body), std::move(r->etag)};
  }

  Expected<std::string> FetchBlob(const std::string& sha256, std::size_t max_bytes) override {
    // A large module on a slow link takes longer than one request's
    // http_timeout: allow the time max_bytes needs at kMinBlobRate on top
    // (stalls are still cut: see CURLOPT_LOW_SPEED_* in Request).
    const auto extra = static_cast<int>(std::min<std::size_t>(max_bytes / kMinBlobRate, 24 * 3600));
    auto r = Request("GET", "/api/v1/blobs/" + sha256, "", {}, max_bytes, extra);
    if (!r) return r.error();
    if (r->status != 200) return StatusError("blob " + sha256, *r);
    return std::move(r->body);
  }

  Status Report(const std::string& credential, const std::string& body) override {
    auto r = Request("POST", "/api/v1/reports", body, {"Authorization: Bearer " + credential}, kMaxJsonBytes);
    if (!r) return r.error();
    if (r->status != 204 && r->status != 200) return StatusError("report", *r);
    return Ok();
  }

 private:
  static Error StatusError(const std::string& what, const HttpResult& r) {
    ErrorCode code = r.status == 401 || r.status == 403 ? ErrorCode::kPermission
                     : r.status == 404                  ? ErrorCode::kNotFound
                                                        : ErrorCode::kNetwork;
    return MakeError(code, what + ": HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200));
  }

  Expected<HttpResult> Request(const std::string& method, const std::string& path, const std::string& body,
                               const std::vector<std::string>& headers, std::size_t limit,
                               int extra_timeout_s = 0) const;

  Config config_;
};

Expected<HttpResult> CurlPortalApi::Request(const std::string& method, const std::string& path,
                                            const std::string& body, const std::vector<std::string>& headers,
                                            std::size_t limit, int extra_timeout_s) const {
  CurlPtr curl(curl_easy_init());
  if (!curl) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  std::string url = config_.portal_url + path;
  Sink sink;
  sink.limit = limit;
  CurlSlistPtr list;
  for (const auto& h : headers) list.reset(curl_slist_append(list.release(), h.c_str()));
  if (method == "POST") list.reset(curl_slist_append(list.release(), "Content-Type: application/json"));
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // Plain HTTP only when the config opted in (CheckPortalUrl); never by redirect.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, config_.allow_plain_http ? "https,http" : "https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  // A long poll legitimately takes `wait` seconds more than a normal request.
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(config_.http_timeout_s + extra_timeout_s));
  if (method == "GET") {
    // A download (never a long poll, which is silent on purpose) that stalls,
    // under 1 KB/s for http_timeout seconds, is given up whatever the total allowed.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max<std::int64_t>(config_.http_timeout_s, 1)));
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limit));
  if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.pinned_key.empty()) curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, config_.pinned_key.c_str());
  if (list) curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  if (method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  CURLcode rc = curl_easy_perform(h);
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) return MakeError(ErrorCode::kNetwork, path + ": response larger than " + std::to_string(limit));
  if (rc != CURLE_OK)
    return MakeError(rc == CURLE_OPERATION_TIMEDOUT ? ErrorCode::kTimeout : ErrorCode::kNetwork,
                     url + ": " + curl_easy_strerror(rc));
  HttpResult result;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
  result.body = std::move(sink.body);
  result.etag = std::move(sink.etag);
  return result;
}

}  // namespace

std::unique_ptr<PortalApi> MakeCurlPortal(const Config& config) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlPortalApi>(config);
}

}  // namespace lp::patchd
