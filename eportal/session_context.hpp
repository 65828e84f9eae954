// What every connection shares: the handlers' services, the worker pool for
// slow requests, timeouts and the shutdown flag. Owned by Server; outlives
// every session (Server joins all threads before destroying it).
#pragma once

#include <atomic>
#include <chrono>

#include <boost/asio/thread_pool.hpp>

#include "eportal/services.hpp"

namespace lp::eportal {

struct SessionContext {
  Services& services;
  // Admin requests and enrollments (database writes, bundle verification)
  // run here so they never stall the I/O threads that answer check-ins.
  boost::asio::thread_pool& workers;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  bool log_requests = true;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};  // requests read but not yet answered
};

}  // namespace lp::eportal
