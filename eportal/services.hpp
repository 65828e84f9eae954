// Everything a request handler may use, passed to the router by reference.
// The router owns nothing; Portal (portal.hpp) owns these objects.
#pragma once

#include <ctime>
#include <functional>
#include <string>

#include "common/crypto.hpp"
#include "eportal/blob_store.hpp"
#include "eportal/catalogue.hpp"
#include "eportal/device_registry.hpp"
#include "eportal/long_poll_hub.hpp"
#include "eportal/metrics.hpp"
#include "eportal/store.hpp"

namespace lp::eportal {

// The trust chain the portal was initialised with (DESIGN.md "Trust").
struct TrustMaterial {
  Ed25519Key root;          // public only: verifies imported bundles
  Ed25519Key portal;        // private: signs check-in answers
  std::string keys_json;    // root-signed keys document naming the portal key
  std::string keys_sig;
  std::string keys_json_b64;
  std::string keys_sig_b64;
};

struct PortalSettings {
  int poll_interval = 300;       // seconds, told to devices in each answer
  int answer_lifetime = 86400;   // seconds between "issued" and "expires"
  int stale_after = 3 * 300;     // a device silent this long counts as stale
};

struct Services {
  Store& store;
  BlobStore& blobs;
  Catalogue& catalogue;
  DeviceRegistry& devices;
  Metrics& metrics;
  LongPollHub& long_polls;  // woken on every catalogue change
  const TrustMaterial& trust;
  PortalSettings settings;
  std::function<std::time_t()> now = [] { return std::time(nullptr); };
};

}  // namespace lp::eportal
