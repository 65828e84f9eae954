// A throwaway HTTP/1.1 server on 127.0.0.1:<ephemeral> for transport tests:
// one request per connection, canned raw responses from a handler. Loopback
// only; every wait is bounded (poll with a timeout, stop flag).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/raii.hpp"

namespace lp::patchd::testing {

class LoopbackHttpServer {
 public:
  using Handler = std::function<std::string(const std::string& request)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    listener_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_.get(), 8) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return;
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  static std::string Response(int status, const std::string& body, const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) continue;
      std::string request = ReadRequest(conn.get());
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      std::string response = handler_(request);
      (void)!::write(conn.get(), response.data(), response.size());
    }
  }

  // Headers, then Content-Length bytes of body; gives up after 2 s of silence.
  static std::string ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    for (;;) {
      std::size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t cl = data.find("Content-Length: ");
        std::size_t want = cl == std::string::npos ? 0 : std::stoul(data.substr(cl + 16));
        if (data.size() >= end + 4 + want) return data;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return data;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return data;
      data.append(buf, static_cast<std::size_t>(n));
    }
  }

  Handler handler_;
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

}  // namespace lp::patchd::testing
