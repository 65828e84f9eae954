// The portal's HTTP(S) server: one io_context per core, each run by one
// thread; one acceptor (Listener) spreading connections over them; a small
// worker pool for database-heavy requests; a timer that flushes batched
// last-seen times. Start() returns once the port is bound, so tests can
// start it in-process on port 0 and read port().
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "eportal/portal.hpp"

namespace lp::eportal {

struct ServerOptions {
  std::string listen = "0.0.0.0:8443";   // ADDR:PORT; port 0 picks a free one
  std::filesystem::path tls_cert;        // PEM chain; both empty = plain HTTP
  std::filesystem::path tls_key;
  unsigned io_threads = 0;               // 0: one per core
  unsigned worker_threads = 2;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};  // keep-alive connection with no request
  std::chrono::seconds flush_interval{5};  // batched last-seen writes
  std::chrono::seconds drain_timeout{10};  // graceful shutdown bound
  bool log_requests = true;
};

class Server {
 public:
  // Binds, starts the threads and returns. portal must outlive the server.
  static Expected<std::unique_ptr<Server>> Start(Portal& portal, const ServerOptions& options);
  ~Server();  // Shutdown() + Wait()

  std::uint16_t port() const;
  // Stops accepting, lets requests in flight finish (up to drain_timeout),
  // then stops the threads. Thread-safe, idempotent, returns at once.
  void Shutdown();
  // Shutdown on SIGTERM or SIGINT.
  void ShutdownOnSignals();
  // Blocks until the threads have exited, then flushes last-seen times.
  void Wait();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8443", "[::1]:0", "0.0.0.0:443" -> address and port.
Expected<std::pair<std::string, std::uint16_t>> SplitHostPort(const std::string& listen);

}  // namespace lp::eportal
