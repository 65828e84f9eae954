#include "eportal/server.hpp"

#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "eportal/listener.hpp"
#include "eportal/log.hpp"
#include "eportal/session_context.hpp"

namespace lp::eportal {
namespace asio = boost::asio;
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

struct Server::Impl {
  Impl(Portal& p, const ServerOptions& o, unsigned io_threads)
      : portal(p), options(o), workers(o.worker_threads),
        ctx{p.services(), workers, o.read_timeout, o.idle_timeout, o.log_requests} {
    for (unsigned i = 0; i < io_threads; ++i) {
      ios.push_back(std::make_unique<asio::io_context>(1));  // 1: each runs on exactly one thread
      guards.emplace_back(ios.back()->get_executor());
    }
  }

  // Declaration order matters for destruction: sessions still queued in an
  // io_context are destroyed with it, so ctx, tls and workers must outlive ios.
  Portal& portal;
  ServerOptions options;
  asio::thread_pool workers;
  SessionContext ctx;
  std::optional<asio::ssl::context> tls;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<WorkGuard> guards;
  std::shared_ptr<Listener> listener;
  std::optional<asio::steady_timer> flush_timer;
  std::optional<asio::steady_timer> drain_timer;
  std::optional<asio::signal_set> signals;
  std::vector<std::thread> threads;
  std::once_flag shutdown_once;
  std::once_flag wait_once;

  asio::io_context& main() { return *ios.front(); }

  Status SetUpTls() {
    if (options.tls_cert.empty() && options.tls_key.empty()) return Ok();
    if (options.tls_cert.empty() || options.tls_key.empty())
      return MakeError(ErrorCode::kInvalidArgument, "--tls-cert and --tls-key go together");
    tls.emplace(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    if (tls->use_certificate_chain_file(options.tls_cert.string(), ec))
      return MakeError(ErrorCode::kInvalidArgument, "TLS certificate " + options.tls_cert.string() + ": " + ec.message());
    if (tls->use_private_key_file(options.tls_key.string(), asio::ssl::context::pem, ec))
      return MakeError(ErrorCode::kInvalidArgument, "TLS key " + options.tls_key.string() + ": " + ec.message());
    return Ok();
  }

  void ScheduleFlush() {
    flush_timer->expires_after(options.flush_interval);
    flush_timer->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      asio::post(workers, [this] {
        if (Status st = portal.FlushLastSeen(); !st) Log("error", "flush_failed", {{"error", st.error().message}});
      });
      ScheduleFlush();
    });
  }

  // Runs on main(): waits for requests in flight, bounded, then stops.
  void Drain(std::chrono::steady_clock::time_point deadline) {
    if (ctx.in_flight.load() <= 0 || std::chrono::steady_clock::now() >= deadline) {
      Log("info", "stopped", {{"in_flight", std::to_string(ctx.in_flight.load())}});
      for (WorkGuard& g : guards) g.reset();
      for (auto& io : ios) io->stop();
      return;
    }
    drain_timer->expires_after(std::chrono::milliseconds(20));
    drain_timer->async_wait([this, deadline](boost::system::error_code) { Drain(deadline); });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Shutdown();
  Wait();
}

Expected<std::pair<std::string, std::uint16_t>> SplitHostPort(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    return MakeError(ErrorCode::kInvalidArgument, "listen address must be ADDR:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kInvalidArgument, "bad port in '" + listen + "'");
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

Expected<std::unique_ptr<Server>> Server::Start(Portal& portal, const ServerOptions& options) {
  auto hp = SplitHostPort(options.listen);
  if (!hp) return hp.error();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(hp->first, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "bad address '" + hp->first + "': " + ec.message());
  unsigned n = options.io_threads ? options.io_threads : std::max(1u, std::thread::hardware_concurrency());
  auto impl = std::make_unique<Impl>(portal, options, n);
  LP_TRY(impl->SetUpTls());
  std::vector<asio::io_context*> ios;
  for (auto& io : impl->ios) ios.push_back(io.get());
  auto listener = Listener::Bind(impl->main(), ios, {address, hp->second}, impl->ctx,
                                 impl->tls ? &*impl->tls : nullptr);
  if (!listener) return listener.error();
  impl->listener = *listener;
  impl->flush_timer.emplace(impl->main());
  impl->drain_timer.emplace(impl->main());
  impl->listener->Start();
  impl->ScheduleFlush();
  for (auto& io : impl->ios) impl->threads.emplace_back([io = io.get()] { io->run(); });
  Log("info", "listening", {{"address", hp->first}, {"port", std::to_string(impl->listener->port())},
                            {"tls", impl->tls ? "on" : "off"}, {"io_threads", std::to_string(n)}});
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::uint16_t Server::port() const { return impl_->listener->port(); }

void Server::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    asio::post(impl_->main(), [impl = impl_.get()] {
      Log("info", "shutting_down", {{"in_flight", std::to_string(impl->ctx.in_flight.load())}});
      impl->ctx.stopping = true;
      impl->listener->Stop();
      impl->ctx.services.long_polls.WakeAll();  // parked check-ins answer now (304, close)
      impl->flush_timer->cancel();
      if (impl->signals) impl->signals->cancel();
      impl->Drain(std::chrono::steady_clock::now() + impl->options.drain_timeout);
    });
  });
}

void Server::ShutdownOnSignals() {
  asio::post(impl_->main(), [this] {
    impl_->signals.emplace(impl_->main(), SIGINT, SIGTERM);
    impl_->signals->async_wait([this](boost::system::error_code ec, int signo) {
      if (ec) return;
      Log("info", "signal", {{"signal", std::to_string(signo)}});
      Shutdown();
    });
  });
}

void Server::Wait() {
  std::call_once(impl_->wait_once, [this] {
    for (std::thread& t : impl_->threads) t.join();
    impl_->workers.join();
    if (Status st = impl_->portal.FlushLastSeen(); !st)
      Log("error", "flush_failed", {{"error", st.error().message}});
  });
}

}  // namespace lp::eportal
