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
#include "weft/tls/mesh.hpp"

namespace weft::http {

class H1Pool;        // http/h1_pool.hpp: idle HTTP/1 connections per endpoint
class H2ClientPool;  // http/h2_client_pool.hpp: one multiplexed HTTP/2 connection per endpoint
class Router;        // http/router.hpp: services, balancers and retry budgets (outbound)
}  // namespace weft::http

namespace weft::discovery {
struct Endpoint;  // discovery/table.hpp: an endpoint and its metadata (identity, labels)
}  // namespace weft::discovery

namespace weft::http {

struct HttpContext {
  metrics::Direction direction;
  core::duration connect_timeout;
  /// WEFT_PROXY_TCP_IDLE_TIMEOUT: an idle client connection and an upgraded tunnel end after it.
  core::duration idle_timeout;
  const core::HttpConfig* config;        // this direction's HTTP settings
  const core::Http2Settings* h2_client;  // settings of connections to endpoints
  std::size_t http1_max_head_bytes;
  /// The TLS label of a client connection of this listener, unless its own says otherwise.
  /// Per connection: serve_h1 and serve_h2 label inbound HTTP series with the label their
  /// `client_metrics` handle was opened with (TcpConnMetrics::tls_or), this one when the handle
  /// is empty. So whoever accepts the connection (mTLS: with the client's verified identity)
  /// opens that handle with its label, and the requests are labelled alike, with no parameter.
  metrics::TlsRef client_tls;
  /// The TLS label of a connection to an endpoint, unless endpoint_tls_for says otherwise.
  metrics::TlsRef endpoint_tls;
  metrics::Shard* metrics;
  net::BufferPool* buffers;
  net::PipePool* pipes;
  net::DrainSignal* drain;
  H1Pool* h1_pool;        // this worker's pool for this direction
  H2ClientPool* h2_pool;  // this worker's pool for this direction
  /// Outbound: the worker's router (requests to services in the destination table are balanced
  /// and follow their route's policy). Inbound: nullptr (requests go to the original destination).
  Router* router = nullptr;
  /// The worker's mTLS state; nullptr without WEFT_PROXY_IDENTITY_DIR. Outbound, connections to
  /// endpoints the table gives an identity are mTLS (tls::secure).
  tls::Mesh* mesh = nullptr;

  /// The TLS label of a connection to `endpoint` (nullptr: an original destination that the
  /// destination table does not know): its tcp series (peer="dst") and, outbound, its HTTP
  /// series: TlsRef::established(endpoint->identity) (server_id) for a meshed endpoint, which
  /// is connected to with mTLS; endpoint_tls otherwise. The identity lives as long as the table
  /// version the caller's lease holds.
  metrics::TlsRef endpoint_tls_for(const discovery::Endpoint* endpoint) const noexcept {
    return tls::meshed(mesh, endpoint) ? metrics::TlsRef::established(endpoint->identity)
                                       : endpoint_tls;
  }

  /// The TLS label of an HTTP series: inbound, the client connection's (`client`); outbound,
  /// the endpoint's (Linkerd labels outbound HTTP series by the endpoint connection).
  metrics::TlsRef route_tls(metrics::TlsRef client,
                            const discovery::Endpoint* endpoint) const noexcept {
    return direction == metrics::Direction::outbound ? endpoint_tls_for(endpoint) : client;
  }
};

/// The verified SPIFFE ID of an inbound mTLS client (its connection's TLS label), for the
/// weft-client-id field of the requests it sends; empty for any other client.
inline std::string_view client_id(const HttpContext& ctx, metrics::TlsRef client_tls) noexcept {
  return ctx.direction == metrics::Direction::inbound &&
                 client_tls.status == metrics::TlsStatus::established
             ? client_tls.value
             : std::string_view{};
}

/// A client connection (plaintext, or TLS the proxy terminated) that detection found to speak
/// HTTP/1, with the bytes detection read
/// (parsed before anything more is read). `target` is its original destination. Ends when the
/// client closes, on a protocol error (after answering it), on idle timeout, or after drain.
/// Inbound HTTP series carry the TLS label `client_metrics` was opened with (ctx.client_tls when
/// it is empty): whoever accepts the connection (mTLS: with the client's identity) opens that
/// handle with the connection's label, and its requests are labelled alike, with no parameter.
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
