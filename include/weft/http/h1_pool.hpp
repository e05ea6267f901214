// Idle HTTP/1 connections to endpoints, kept for reuse: one pool per worker and direction, a LIFO
// stack per endpoint (the most recently used connection is the likeliest to be alive and warm),
// each connection closed after the pool's idle timeout (3 s by default: below common application
// keep-alive timeouts, so the proxy closes first and rarely sends on a connection that the
// endpoint is closing). Used only on its worker's thread: no locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "weft/core/clock.hpp"
#include "weft/core/parse.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/stream.hpp"

namespace weft::http {

/// A connection to an endpoint and the tcp_* handle (peer="dst") that counts it while it exists.
struct H1EndpointConn {
  net::Stream stream;
  metrics::TcpConnMetrics metrics;
  /// Whether it came from the pool (it served a request before): a failure before its first
  /// response byte may be the endpoint closing it just now, and a safe request is sent again.
  bool reused = false;

  /// Closes the stream (a reset when `reset`) and counts the close with `ec`.
  void close(const boost::system::error_code& ec = {}, bool reset = false) noexcept;
};

class H1Pool {
 public:
  /// `idle_timeout`: how long a connection may sit idle; `max_idle_per_endpoint`: more than that
  /// many idle connections to one endpoint close the oldest.
  H1Pool(const boost::asio::any_io_executor& executor, core::duration idle_timeout,
         std::size_t max_idle_per_endpoint);
  ~H1Pool();
  H1Pool(const H1Pool&) = delete;
  H1Pool& operator=(const H1Pool&) = delete;

  /// The most recently pooled live connection to `target`, or nullopt. A connection that the
  /// endpoint has closed (or that has unexpected bytes to read, such as a 408 sent before an idle
  /// close) is closed and skipped: the check is a non-blocking MSG_PEEK. Over TLS any readable
  /// byte, on the socket or buffered in OpenSSL, makes a connection unusable: between responses
  /// only a late session ticket, a key update or an alert can arrive, and telling them apart would
  /// mean reading, so the connection is closed instead. The check is skipped for
  /// a `resendable` request on a connection pooled under `kTrustedIdle` ago: endpoints close
  /// idle connections after seconds, not milliseconds, and should one have closed it anyway, the
  /// request is sent again on a fresh connection. That saves one syscall of five per request
  /// under load, where connections go back and forth within microseconds.
  std::optional<H1EndpointConn> take(const boost::asio::ip::tcp::endpoint& target,
                                     bool resendable);

  static constexpr auto kTrustedIdle = std::chrono::milliseconds(250);

  /// Keeps `conn`, idle at a message boundary, for the next request to `target`. After
  /// close_all() it is closed instead.
  void put(const boost::asio::ip::tcp::endpoint& target, H1EndpointConn conn);

  /// Closes every idle connection and stops pooling (drain). Idempotent.
  void close_all() noexcept;

  /// Idle connections held, over all endpoints.
  std::size_t idle_count() const noexcept;

 private:
  struct Idle {
    H1EndpointConn conn;
    Clock::time_point since;
  };
  using Stack = std::vector<Idle>;  // oldest first; taken from the back

  void arm(Clock::time_point at);
  void on_timer() noexcept;

  core::duration idle_timeout_;
  std::size_t max_idle_;
  std::map<boost::asio::ip::tcp::endpoint, Stack> idle_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  bool closed_ = false;
};

}  // namespace weft::http
