// The server side of one client's HTTP/2 connection (nghttp2 server session): each request
// stream becomes an H2Stream bridged to a stream on the endpoint's pooled connection
// (H2ClientPool). Answers what it must itself (431, 502/504 or gRPC UNAVAILABLE), counts the
// golden metrics per stream, and sends GOAWAY on drain. serve_h2 (context.hpp) runs one.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "weft/http/context.hpp"
#include "weft/http/h2_session.hpp"
#include "weft/http/h2_stream.hpp"
#include "weft/http/proxy_error.hpp"

namespace weft::http {

class H2Server final : public H2Connection {
 public:
  H2Server(const HttpContext& ctx, net::Stream stream,
           boost::asio::ip::tcp::endpoint target, metrics::TcpConnMetrics metrics);
  ~H2Server() override;

  /// Serves the connection to its end. `initial`: the bytes detection read (the preface).
  boost::asio::awaitable<void> serve(std::span<const std::byte> initial);

  // Called by the endpoint's H2Client for a stream of this connection.
  /// The response head in s.response is complete (final, or 1xx when !s.response_headers_done).
  void submit_response(H2Stream& s) noexcept;
  /// Response bytes (or the response's end) arrived for `s`.
  void resume_response(H2Stream& s) noexcept;
  /// `n` request bytes of `s` were handed to the endpoint's session: credit the client.
  void consumed(H2Stream& s, std::size_t n) noexcept;
  /// The endpoint half of `s` failed before its end: answer with the proxy error for `ec` if no
  /// response head went out yet, otherwise reset the client stream with `code`.
  /// `at`: whether the endpoint could not be reached at all (the error table's "connect").
  void fail_stream(H2Stream& s, const boost::system::error_code& ec, std::uint32_t code,
                   FailedAt at = FailedAt::exchange) noexcept;
  /// The endpoint's final response head for `s` arrived (`end_stream`: trailers-only): when its
  /// route retries it and the limit, the budget and the replay buffer allow, the endpoint stream
  /// is cancelled, the try counted, and the request sent again after the backoff. True then.
  bool retry_response(H2Stream& s, bool end_stream);

  // nghttp2 callbacks (called through the trampolines in h2_server.cpp).
  int on_begin_headers(const nghttp2_frame* frame);
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  ssize_t read_response_body(H2Stream& s, std::uint8_t* buf, std::size_t length,
                             std::uint32_t* data_flags);

 protected:
  std::size_t open_streams() const noexcept override { return stream_count_; }
  void on_drain_ping_ack() noexcept override;

 private:
  boost::asio::awaitable<void> watch_drain();
  void start_request(H2Stream& s);

  // h2_route.cpp: requests to a service in the destination table.
  bool route_stream(H2Stream& s);
  metrics::RouteMetrics* route_metrics_for(H2Stream& s, const discovery::Route* route);
  void dispatch(H2Stream& s);
  void send_to(H2Stream& s, balance::Lease lease);
  boost::asio::awaitable<void> wait_for_endpoint(H2Stream* s, std::uint64_t serial);
  boost::asio::awaitable<void> watch_deadline(H2Stream* s, std::uint64_t serial);
  boost::asio::awaitable<void> retry_after(H2Stream* s, std::uint64_t serial,
                                           std::chrono::nanoseconds delay);
  boost::asio::awaitable<void> watch_try(H2Stream* s, std::uint64_t serial, std::uint32_t tries);
  bool may_retry(H2Stream& s);
  void retry(H2Stream& s);
  void keep_for_replay(H2Stream& s, std::span<const std::uint8_t> bytes);
  void count_route_outcome(H2Stream& s, const boost::system::error_code& ec) noexcept;
  void count_route_response(H2Stream& s, const metrics::ResponseOutcome& outcome) noexcept;
  void answer(H2Stream& s, unsigned status, std::string_view message,
              std::string_view error_header);
  void answer_proxy_error(H2Stream& s, const boost::system::error_code& ec, FailedAt at);
  /// The route series of `s` to `endpoint`; `known`: the table's endpoint it is (its dst_*
  /// and, outbound, TLS labels), nullptr for the original destination.
  metrics::HttpRoute* route_for(H2Stream& s, const boost::asio::ip::tcp::endpoint& endpoint,
                                const discovery::Endpoint* known);
  void count_response(H2Stream& s, std::uint32_t reset_code) noexcept;
  void detach(H2Stream& s) noexcept;

  const HttpContext& ctx_;
  boost::asio::ip::tcp::endpoint target_;
  /// The client connection's TLS label, which labels inbound HTTP series: the one its tcp
  /// handle was opened with (mTLS opens it with the client's identity), else the listener's.
  /// Views the tcp series key, alive while that handle is open (until serve() ends).
  metrics::TlsRef client_tls_;
  ServerStreamList streams_;
  std::size_t stream_count_ = 0;
  // Route handles of the authorities this connection saw, at most kMaxRoutes.
  std::vector<std::unique_ptr<metrics::HttpRoute>> routes_;
  // Route metric handles of the (table, route) pairs this connection's streams used, at most
  // kMaxRouteMetrics; streams point to them, so they stay where they are until the connection ends.
  struct CachedRouteMetrics {
    const discovery::DestinationTable* table;
    const discovery::Route* route;
    metrics::RouteMetrics metrics;
  };
  std::vector<std::unique_ptr<CachedRouteMetrics>> route_metrics_;
};

}  // namespace weft::http
