// patchd's view of the portal (docs/api.md, /api/v1). CurlPortalApi talks
// HTTPS; tests use a hand-written fake. Nothing returned here is trusted:
// check-in answers go through VerifyCheckinAnswer, blobs through the cache's
// sha256 check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/identity.hpp"

namespace lp::patchd {

struct EnrollResult {
  std::string device_id;
  std::string credential;
  std::string group;
};

struct AppliedEntry {
  std::string patch_id;
  std::uint64_t version = 0;
  std::string state;  // applied|failed|reverted|refused
};

struct CheckinRequest {
  KernelIdentity identity;
  std::vector<AppliedEntry> applied;
  std::string last_error;
  int wait_s = 0;      // long poll, 0..300
  std::string etag;    // If-None-Match, "" for none
};

struct CheckinResponse {
  bool not_modified = false;  // 304: keep the last accepted answer
  std::string body;           // the signed envelope (200)
  std::string etag;
};

class PortalApi {
 public:
  virtual ~PortalApi() = default;
  virtual Expected<EnrollResult> Enroll(const std::string& token, const std::string& hostname,
                                        const KernelIdentity& identity) = 0;
  virtual Expected<CheckinResponse> CheckIn(const std::string& credential,
                                            const CheckinRequest& request) = 0;
  // At most max_bytes; more is an error (the caller checks sha256 and size).
  virtual Expected<std::string> FetchBlob(const std::string& sha256, std::size_t max_bytes) = 0;
  // body: the JSON report of docs/api.md.
  virtual Status Report(const std::string& credential, const std::string& body) = 0;
};

// JSON bodies of the device endpoints (shared by the real client and fakes).
std::string EnrollBody(const std::string& token, const std::string& hostname, const KernelIdentity& id);
std::string CheckinBody(const CheckinRequest& request);
Expected<EnrollResult> ParseEnrollResponse(const std::string& body);

}  // namespace lp::patchd
