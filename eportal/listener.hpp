// Accepts connections on ONE acceptor (no SO_REUSEPORT: it let a stale
// server share a port silently, DESIGN.md) and spreads the sockets round
// robin over the I/O contexts, one per core. Lives on the first context.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "common/error.hpp"
#include "eportal/session_context.hpp"

namespace lp::eportal {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; tls is null for plain HTTP. io_contexts must outlive
  // the listener.
  static Expected<std::shared_ptr<Listener>> Bind(boost::asio::io_context& accept_on,
                                                  std::vector<boost::asio::io_context*> io_contexts,
                                                  const boost::asio::ip::tcp::endpoint& endpoint,
                                                  SessionContext& ctx, boost::asio::ssl::context* tls);

  std::uint16_t port() const { return port_; }
  void Start();
  void Stop();  // call on the accepting context's thread

 private:
  Listener(boost::asio::io_context& accept_on, std::vector<boost::asio::io_context*> io_contexts,
           SessionContext& ctx, boost::asio::ssl::context* tls);
  void Accept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<boost::asio::io_context*> io_contexts_;
  std::size_t next_ = 0;
  SessionContext& ctx_;
  boost::asio::ssl::context* tls_;
  std::uint16_t port_ = 0;
};

}  // namespace lp::eportal
