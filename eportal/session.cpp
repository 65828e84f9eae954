#include "eportal/session.hpp"

#include <array>

#include <boost/asio/post.hpp>

#include "eportal/log.hpp"
#include "eportal/router.hpp"

namespace lp::eportal {
namespace beast = boost::beast;
namespace http = beast::http;
namespace {

constexpr bool kIsTls(const PlainStream*) { return false; }
constexpr bool kIsTls(const TlsStream*) { return true; }

Request ToRequest(http::request<http::string_body>&& in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(in.body());
  return out;
}

// Enrollment and admin calls write to the database or verify bundles: run
// them on the worker pool. Check-ins, blobs, health and metrics are answered
// from memory on the I/O thread.
bool RunsOnWorker(std::string_view path) {
  return path.starts_with("/api/v1/admin/") || path == "/api/v1/enroll" || path == "/api/v1/reports";
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, SessionContext& ctx, std::string remote)
    : stream_(std::move(stream)), ctx_(ctx), remote_(std::move(remote)) {}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
  // A session dropped while parked (its io_context destroyed at shutdown)
  // must not stay in the hub with a dangling executor.
  if (hold_id_) ctx_.services.long_polls.Remove(hold_id_);
}

template <class Stream>
void HttpSession<Stream>::Start() {
  if constexpr (kIsTls(static_cast<const Stream*>(nullptr))) {
    beast::get_lowest_layer(stream_).expires_after(ctx_.read_timeout);
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            beast::bind_front_handler(&HttpSession::OnHandshake, this->shared_from_this()));
  } else {
    ReadHeader();
  }
}

template <class Stream>
void HttpSession<Stream>::OnHandshake(beast::error_code ec) {
  if (ec) {
    if (ctx_.log_requests) Log("warn", "tls_handshake_failed", {{"remote", remote_}, {"error", ec.message()}});
    return;
  }
  ReadHeader();
}

template <class Stream>
void HttpSession<Stream>::ReadHeader() {
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  // The largest limit of any path; OnHeader applies the path's own.
  parser_->body_limit(BodyLimitFor("POST", "/api/v1/admin/patches"));
  beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnHeader, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::OnHeader(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout) return Close();
  started_ = std::chrono::steady_clock::now();
  if (ec == http::error::body_limit) {  // over even the import limit
    ++ctx_.in_flight;
    return Write(ErrorResponse(413, "too_large", "request body too large"), false);
  }
  if (ec) return;  // reset by peer, bad header: nothing useful to answer
  ++ctx_.in_flight;
  const auto& header = parser_->get();
  method_ = std::string(header.method_string());
  path_ = std::string(header.target().substr(0, header.target().find('?')));
  const std::size_t limit = BodyLimitFor(method_, path_);
  // Beast checks Content-Length against the limit only while parsing the
  // header (which ran with the largest limit), so check it here; chunked
  // bodies are held to the new limit as they arrive.
  if (auto length = parser_->content_length(); length && *length > limit)
    return Write(ErrorResponse(413, "too_large", "request body over " + std::to_string(limit) + " bytes for " + path_),
                 false);
  parser_->body_limit(limit);
  // A large upload gets more time than a small device call.
  beast::get_lowest_layer(stream_).expires_after(limit > (1u << 20) ? ctx_.read_timeout * 4 : ctx_.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnBody, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::OnBody(beast::error_code ec, std::size_t) {
  if (ec == http::error::body_limit) {
    Response r = ErrorResponse(413, "too_large", "request body over the limit for " + path_);
    return Write(std::move(r), false);
  }
  if (ec) {
    --ctx_.in_flight;
    return;
  }
  Dispatch(ToRequest(parser_->release()));
}

template <class Stream>
void HttpSession<Stream>::Dispatch(Request request) {
  const bool keep_alive = parser_->keep_alive() && !ctx_.stopping;
  if (!RunsOnWorker(request.Path())) {
    hold_deadline_.reset();
    const std::uint64_t generation = ctx_.services.catalogue.generation();
    Response response = Handle(request, ctx_.services);
    if (response.hold_seconds > 0 && !ctx_.stopping) {
      Park(std::move(request), response.hold_seconds, keep_alive);
      // A change between Handle and Park would otherwise go unnoticed.
      if (ctx_.services.catalogue.generation() != generation) hold_timer_->cancel();
      return;
    }
    return Write(std::move(response), keep_alive);
  }
  auto self = this->shared_from_this();
  boost::asio::post(ctx_.workers, [self, keep_alive, req = std::move(request)]() {
    Response response = Handle(req, self->ctx_.services);
    boost::asio::post(self->stream_.get_executor(), [self, keep_alive, r = std::move(response)]() mutable {
      self->Write(std::move(r), keep_alive);
    });
  });
}

template <class Stream>
void HttpSession<Stream>::Park(Request request, int hold_seconds, bool keep_alive) {
  const auto now = std::chrono::steady_clock::now();
  if (!hold_deadline_) hold_deadline_ = now + std::chrono::seconds(hold_seconds);
  held_ = std::move(request);
  if (!hold_timer_) hold_timer_.emplace(stream_.get_executor());
  hold_timer_->expires_at(*hold_deadline_);
  std::weak_ptr<HttpSession> weak = this->shared_from_this();
  auto executor = stream_.get_executor();
  hold_id_ = ctx_.services.long_polls.Add([weak, executor] {
    boost::asio::post(executor, [weak] {
      if (auto self = weak.lock(); self && self->hold_timer_) self->hold_timer_->cancel();
    });
  });
  hold_timer_->async_wait([self = this->shared_from_this(), keep_alive](beast::error_code) {
    self->OnHoldWake(keep_alive);
  });
}

template <class Stream>
void HttpSession<Stream>::OnHoldWake(bool keep_alive) {
  ctx_.services.long_polls.Remove(hold_id_);
  hold_id_ = 0;
  const std::uint64_t generation = ctx_.services.catalogue.generation();
  Response response = Handle(held_, ctx_.services);
  const bool time_left = std::chrono::steady_clock::now() < *hold_deadline_;
  if (response.hold_seconds > 0 && time_left && !ctx_.stopping) {
    // Woken by a change that does not concern this device: keep waiting.
    Park(std::move(held_), response.hold_seconds, keep_alive);
    if (ctx_.services.catalogue.generation() != generation) hold_timer_->cancel();
    return;
  }
  Write(std::move(response), keep_alive && !ctx_.stopping);
}

template <class Stream>
void HttpSession<Stream>::Write(Response r, bool keep_alive) {
  response_ = {};
  response_.version(11);
  response_.result(static_cast<unsigned>(r.status));
  response_.set(http::field::server, "eportal");
  if (!r.content_type.empty() && r.status != 304 && r.status != 204)
    response_.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) response_.set(name, value);
  body_ = r.shared_body ? std::move(r.shared_body) : std::make_shared<const std::string>(std::move(r.body));
  response_.body() = {body_->data(), body_->size()};
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  if (ctx_.log_requests) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
    Log("info", "request", {{"method", method_}, {"path", path_}, {"route", r.route},
                            {"status", std::to_string(r.status)}, {"us", std::to_string(us.count())},
                            {"remote", remote_}});
  }
  // The whole answer must be written within this: a large blob to a slow
  // device needs more than one request's timeout (kMinWriteRate per second).
  constexpr std::size_t kMinWriteRate = 16u << 10;
  beast::get_lowest_layer(stream_).expires_after(
      ctx_.read_timeout + std::chrono::seconds(response_.body().size() / kMinWriteRate));
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&HttpSession::OnWrite, this->shared_from_this(), keep_alive));
}

template <class Stream>
void HttpSession<Stream>::OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
  --ctx_.in_flight;
  if (ec) return;
  if (!keep_alive) return Close();
  ReadHeader();
}

template <class Stream>
void HttpSession<Stream>::Close() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
  if constexpr (kIsTls(static_cast<const Stream*>(nullptr))) {
    // close_notify, so the client can tell a complete answer from a cut one.
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    beast::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    Linger();
  }
}

template <class Stream>
void HttpSession<Stream>::Linger() {
  // Lingering close: read and drop what the client is still sending (e.g.
  // the rest of a refused upload) until it closes or the timer fires.
  // Closing with unread data would send an RST that destroys our answer.
  auto buffer = std::make_shared<std::array<char, 16384>>();
  stream_.async_read_some(boost::asio::buffer(*buffer),
                          [self = this->shared_from_this(), buffer](beast::error_code ec, std::size_t) {
                            if (!ec) self->Linger();
                          });
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace lp::eportal
