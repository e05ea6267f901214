// What the HTTP connections of one listener share, and the entry points that serve a client
// connection once detection has named its protocol. The worker owns everything pointed to here,
// and it outlives the connections; each connection is one coroutine on that worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <span>
#include <string_view>

#include "weft/core/config.hpp"
#include "weft/metrics/labels.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/drain_signal.hpp"
#include "weft/net/pipe_pool.hpp"
#include "weft/net/stream.hpp"

namespace weft::http {

class H1Pool;        // http/h1_pool.hpp: idle HTTP/1 connections per endpoint
class H2ClientPool;  // http/h2_client_pool.hpp: one multiplexed HTTP/2 connection per endpoint
class Router;        // http/router.hpp: services, balancers and retry budgets (outbound)

struct HttpContext {
  metrics::Direction direction;
  core::duration connect_timeout;
  /// WEFT_PROXY_TCP_IDLE_TIMEOUT: an idle client connection and an upgraded tunnel end after it.
  core::duration idle_timeout;
  const core::HttpConfig* config;        // this direction's HTTP settings
  const core::Http2Settings* h2_client;  // settings of connections to endpoints
  std::size_t http1_max_head_bytes;
  std::string_view client_no_tls_reason;    // tls label of the accepted side
  std::string_view endpoint_no_tls_reason;  // tls label of the connected side
  metrics::Shard* metrics;
  net::BufferPool* buffers;
  net::PipePool* pipes;
  net::DrainSignal* drain;
  H1Pool* h1_pool;        // this worker's pool for this direction
  H2ClientPool* h2_pool;  // this worker's pool for this direction
  /// Outbound: the worker's router (requests to services in the destination table are balanced
  /// and follow their route's policy). Inbound: nullptr (requests go to the original destination).
  Router* router = nullptr;

  /// The tls label of this direction's HTTP route metrics: the accepted side's inbound, the
  /// connected side's outbound (Linkerd labels outbound HTTP series by the endpoint connection).
  std::string_view route_no_tls_reason() const noexcept {
    return direction == metrics::Direction::outbound ? endpoint_no_tls_reason
                                                     : client_no_tls_reason;
  }
};

/// A client connection (plaintext, or TLS the proxy terminated) that detection found to speak
/// HTTP/1, with the bytes detection read
/// (parsed before anything more is read). `target` is its original destination. Ends when the
/// client closes, on a protocol error (after answering it), on idle timeout, or after drain.
boost::asio::awaitable<void> serve_h1(const HttpContext& ctx, net::Stream client,
                                      boost::asio::ip::tcp::endpoint target,
                                      std::span<const std::byte> detected,
                                      metrics::TcpConnMetrics client_metrics);

/// The same for a client connection that sent the HTTP/2 preface (h2c prior knowledge).
boost::asio::awaitable<void> serve_h2(const HttpContext& ctx, net::Stream client,
                                      boost::asio::ip::tcp::endpoint target,
                                      std::span<const std::byte> detected,
                                      metrics::TcpConnMetrics client_metrics);

}  // namespace weft::http
