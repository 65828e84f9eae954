// One HTTP/1.1 connection (plain TCP or TLS): reads a request with a body
// limit chosen from its path, hands it to the router, writes the response,
// and repeats while keep-alive lasts. Each session lives on one io_context
// thread (no strand needed); it keeps itself alive through shared_from_this
// in its pending handlers.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "eportal/http_types.hpp"
#include "eportal/session_context.hpp"

namespace lp::eportal {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream stream, SessionContext& ctx, std::string remote);
  ~HttpSession();
  void Start();

 private:
  void OnHandshake(boost::beast::error_code ec);
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec, std::size_t bytes);
  void OnBody(boost::beast::error_code ec, std::size_t bytes);
  void Dispatch(Request request);
  // Long poll: wait for a catalogue change or the deadline, then ask again.
  void Park(Request request, int hold_seconds, bool keep_alive);
  void OnHoldWake(bool keep_alive);
  void Write(Response response, bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void Close();
  void Linger();

  Stream stream_;
  SessionContext& ctx_;
  std::string remote_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  // The answer being written points into body_ (owned or shared with the
  // blob cache), which lives until the write completes.
  boost::beast::http::response<boost::beast::http::span_body<const char>> response_;
  std::shared_ptr<const std::string> body_;
  std::chrono::steady_clock::time_point started_;
  std::string method_, path_;
  std::optional<boost::asio::steady_timer> hold_timer_;
  std::optional<std::chrono::steady_clock::time_point> hold_deadline_;
  Request held_;
  std::uint64_t hold_id_ = 0;
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace lp::eportal
