#include "eportal/listener.hpp"

#include <boost/asio/post.hpp>

#include "eportal/log.hpp"
#include "eportal/session.hpp"

namespace lp::eportal {
namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(asio::io_context& accept_on, std::vector<asio::io_context*> io_contexts, SessionContext& ctx,
                   asio::ssl::context* tls)
    : acceptor_(accept_on), io_contexts_(std::move(io_contexts)), ctx_(ctx), tls_(tls) {}

Expected<std::shared_ptr<Listener>> Listener::Bind(asio::io_context& accept_on,
                                                   std::vector<asio::io_context*> io_contexts,
                                                   const tcp::endpoint& endpoint, SessionContext& ctx,
                                                   asio::ssl::context* tls) {
  std::shared_ptr<Listener> l(new Listener(accept_on, std::move(io_contexts), ctx, tls));
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    return MakeError(ErrorCode::kNetwork, std::string(what) + " " + endpoint.address().to_string() + ":" +
                                              std::to_string(endpoint.port()) + ": " + ec.message());
  };
  if (l->acceptor_.open(endpoint.protocol(), ec)) return fail("opening");
  // SO_REUSEADDR only lets us rebind past TIME_WAIT after a restart; unlike
  // SO_REUSEPORT it never lets two live servers share the port.
  if (l->acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) return fail("configuring");
  if (l->acceptor_.bind(endpoint, ec)) return fail("binding");
  if (l->acceptor_.listen(asio::socket_base::max_listen_connections, ec)) return fail("listening on");
  l->port_ = l->acceptor_.local_endpoint(ec).port();
  return l;
}

void Listener::Start() { Accept(); }

void Listener::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void Listener::Accept() {
  asio::io_context& target = *io_contexts_[next_++ % io_contexts_.size()];
  acceptor_.async_accept(target, [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    self->OnAccept(ec, std::move(socket));
  });
}

void Listener::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // EMFILE and friends: log and keep accepting rather than go deaf.
    Log("warn", "accept_failed", {{"error", ec.message()}});
    return Accept();
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // else small answers wait ~40 ms for delayed ACKs
  auto peer = socket.remote_endpoint(ignored);
  std::string remote = peer.address().to_string() + ":" + std::to_string(peer.port());
  // Start on the socket's own context: from then on only that thread
  // touches the session.
  auto executor = socket.get_executor();
  if (tls_) {
    auto session = std::make_shared<HttpSession<TlsStream>>(TlsStream(PlainStream(std::move(socket)), *tls_), ctx_,
                                                            std::move(remote));
    asio::post(executor, [session] { session->Start(); });
  } else {
    auto session =
        std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), ctx_, std::move(remote));
    asio::post(executor, [session] { session->Start(); });
  }
  Accept();
}

}  // namespace lp::eportal
