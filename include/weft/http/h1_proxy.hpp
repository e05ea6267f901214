// The HTTP/1 proxy's per-client-connection state and coroutine (http::serve_h1 runs one): read a
// request from the client, forward it to the endpoint on a pooled connection, relay the response,
// and repeat while the connection is kept alive. One request at a time; pipelined requests wait
// in the client buffer and are answered in order. Bodies stream through bounded buffers in both
// directions. An Upgrade accepted with 101 turns the connection into an opaque duplex.
// Split by concern: h1_proxy.cpp (the connection loop, synthesized errors, idle and drain),
// h1_exchange.cpp (one request/response with the endpoint), h1_events.cpp (the parsers' events).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "weft/core/clock.hpp"
#include "weft/http/context.hpp"
#include "weft/http/h1_parser.hpp"
#include "weft/http/h1_pool.hpp"
#include "weft/http/h1_writer.hpp"
#include "weft/http/proxy_error.hpp"
#include "weft/http/request_policy.hpp"
#include "weft/http/router.hpp"
#include "weft/metrics/http.hpp"
#include "weft/metrics/route.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/stream.hpp"

namespace weft::http {

class H1ProxyConnection {
 public:
  H1ProxyConnection(const HttpContext& ctx, net::Stream client,
                    boost::asio::ip::tcp::endpoint target, std::span<const std::byte> detected,
                    metrics::TcpConnMetrics client_metrics);
  H1ProxyConnection(const H1ProxyConnection&) = delete;
  H1ProxyConnection& operator=(const H1ProxyConnection&) = delete;

  /// Serves the connection to its end; closes (or resets) both sides and counts the closes.
  boost::asio::awaitable<void> run();

 private:
  // A bounded read buffer and the unparsed bytes in it, [begin, end).
  struct ReadBuffer {
    net::BufferPool::Lease lease;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool empty() const noexcept { return begin == end; }
    std::span<const std::byte> unparsed() noexcept {
      return lease.bytes().subspan(begin, end - begin);
    }
    /// Free space after `end`, moving unparsed bytes to the front first when that frees some.
    std::span<std::byte> space() noexcept;
  };

  // The parsers' event handlers: they serialize each message for the next hop as it is parsed.
  struct RequestEvents final : H1Handler {
    explicit RequestEvents(H1ProxyConnection& c) : conn(c) {}
    void on_head(const MessageHead& head) override;
    void on_body(std::span<const std::byte> bytes) override;
    void on_trailers(std::span<const Header> trailers) override;
    void on_message_complete() override;
    H1ProxyConnection& conn;
  };
  struct ResponseEvents final : H1Handler {
    explicit ResponseEvents(H1ProxyConnection& c) : conn(c) {}
    void on_head(const MessageHead& head) override;
    void on_body(std::span<const std::byte> bytes) override;
    void on_trailers(std::span<const Header> trailers) override;
    void on_message_complete() override;
    H1ProxyConnection& conn;
  };

  // What the connection knows of the request being served.
  struct Request {
    bool head_seen = false;
    bool complete = false;  // every body byte parsed (and serialized into to_endpoint_)
    bool head_method = false;
    bool connect = false;
    bool idempotent = false;
    bool http10 = false;
    bool keep_alive = false;
    bool upgrade = false;
    bool chunked = false;
    bool expect_continue = false;
    bool last_chunk_written = false;  // the last chunk went out with the trailer section
    Clock::time_point started;
  };
  // What it knows of the response being relayed.
  struct Response {
    unsigned status = 0;         // the final (non-1xx) status; 0 before its head
    bool informational = false;  // a 1xx other than 101 is being parsed
    bool complete = false;
    bool endpoint_keep_alive = false;
    bool upgrade = false;                     // 101 with Upgrade: the connection becomes a tunnel
    BodyFraming framing = BodyFraming::none;  // towards the client
    bool latency_observed = false;
    bool bytes_to_client = false;     // some of it was written to the client
    bool last_chunk_written = false;  // the last chunk went out with the trailer section
    bool retry_checked = false;       // the route's retry conditions were checked on its head
  };
  enum class Phase { waiting, exchanging, tunnel };
  enum class ReadOutcome { head, closed, failed };

  // h1_proxy.cpp
  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<ReadOutcome> read_request_head();
  boost::asio::awaitable<void> respond_error(const boost::system::error_code& ec,
                                             FailedAt at = FailedAt::exchange);
  boost::asio::awaitable<void> tunnel();
  boost::asio::awaitable<void> linger_close();
  /// Keeps route_ on the series of `target`; `endpoint`: the table's endpoint it is (its dst_*
  /// and, outbound, TLS labels), nullptr for the original destination.
  void open_route(const boost::asio::ip::tcp::endpoint& target,
                  const discovery::Endpoint* endpoint);

  // h1_exchange.cpp
  boost::asio::awaitable<bool> exchange();
  boost::asio::awaitable<boost::system::error_code> direct_try(FailedAt& failed_at);
  /// `ec`, or when a reused connection failed before any response byte and the request is safe
  /// to send again, the outcome of one more try on a new connection to the same endpoint.
  boost::asio::awaitable<boost::system::error_code> resend_if_stale(boost::system::error_code ec);
  boost::asio::awaitable<boost::system::error_code> attempt();
  boost::asio::awaitable<boost::system::error_code> stream_request_body();
  boost::asio::awaitable<boost::system::error_code> relay_response();
  boost::asio::awaitable<boost::system::error_code> acquire_endpoint(bool fresh);
  boost::asio::awaitable<boost::system::error_code> write_client(std::string_view bytes);
  boost::asio::awaitable<boost::system::error_code> write_endpoint(std::string_view bytes);
  boost::system::error_code feed_request();
  void finish_exchange();
  bool retryable() const noexcept;
  void count_response(bool stream_error) noexcept;

  // h1_policy.cpp: requests to a service in the destination table
  void route_request(const MessageHead& head);
  boost::asio::awaitable<boost::system::error_code> routed_tries(FailedAt& failed_at);
  boost::asio::awaitable<boost::system::error_code> limits_watch();
  boost::asio::awaitable<bool> sleep_until(Clock::time_point at);
  boost::asio::awaitable<void> buffer_for_replay();
  bool should_retry_response();
  void count_route_outcome(const boost::system::error_code& ec, FailedAt at,
                           Clock::time_point started) noexcept;

  // h1_events.cpp
  void request_head(const MessageHead& head);
  void response_head(const MessageHead& head);
  void response_body(std::span<const std::byte> bytes);
  void response_complete();
  void observe_latency() noexcept;

  const HttpContext& ctx_;
  net::Stream client_;
  boost::asio::ip::tcp::endpoint target_;
  metrics::TcpConnMetrics client_metrics_;
  /// The client connection's TLS label, which labels inbound HTTP series: the one
  /// client_metrics_ was opened with (mTLS opens it with the client's identity), else the
  /// listener's. Views the tcp series key, alive while client_metrics_ is open.
  metrics::TlsRef client_tls_;
  ReadBuffer client_buf_;
  ReadBuffer endpoint_buf_;  // leased for one exchange at a time
  RequestEvents request_events_{*this};
  ResponseEvents response_events_{*this};
  H1Parser request_parser_;
  H1Parser response_parser_;
  std::string to_endpoint_;  // reused: serialized request bytes not yet written
  std::string to_client_;    // reused: serialized response bytes not yet written
  std::string authority_;    // reused: the request's Host
  std::optional<H1EndpointConn> endpoint_;
  boost::asio::ip::tcp::endpoint endpoint_addr_;  // where the current try goes
  metrics::HttpRoute route_;
  // Routing of the current request (h1_policy.cpp); empty for direct traffic.
  Destination dest_;
  RequestPolicy policy_;
  balance::Lease lease_;
  metrics::RouteMetrics route_metrics_;
  const discovery::Route* metrics_route_ = nullptr;  // what route_metrics_ is open for
  const discovery::DestinationTable* metrics_table_ = nullptr;
  std::uint32_t tries_ = 0;       // tries of the current request after the first
  Clock::time_point deadline_;    // the whole request's (max: none)
  Clock::time_point try_deadline_;
  Request request_;
  Response response_;
  Phase phase_ = Phase::waiting;
  Clock::time_point last_activity_;
  boost::asio::steady_timer park_;  // parks the request body sender until the response ends
  bool close_after_ = false;        // close the client connection after this response
  bool reset_client_ = false;       // end the client connection with a reset
  bool linger_ = false;             // unread client bytes: drain them before closing
  bool client_gone_ = false;        // the client closed or failed mid-exchange
  bool request_kept_ = false;       // the whole request is in to_endpoint_ (it can be resent)
  boost::system::error_code client_error_;   // the client's connection failed (its tcp close)
  boost::system::error_code request_error_;  // the request body was malformed
};

}  // namespace weft::http
