#include "weft/app/tcp_forward.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "weft/app/inbound_tls.hpp"
#include "weft/app/protocol_detect.hpp"
#include "weft/core/clock.hpp"
#include "weft/core/error.hpp"
#include "weft/http/context.hpp"
#include "weft/http/router.hpp"
#include "weft/metrics/labels.hpp"
#include "weft/net/connector.hpp"
#include "weft/net/duplex.hpp"
#include "weft/net/stream.hpp"

namespace weft::app {

namespace asio = boost::asio;
using asio::ip::tcp;

bool is_forwarding_loop(const tcp::endpoint& listener, const tcp::endpoint& target) noexcept {
  // A listener on a wildcard address answers on every local address, so the port alone decides;
  // this is also Linkerd's rule for the inbound port.
  return target.port() == listener.port() &&
         (listener.address().is_unspecified() || listener.address() == target.address());
}

namespace {

// Detection, unless the target port is opaque: HTTP/1 goes to http::serve_h1, HTTP/2 to
// http::serve_h2, anything else is forwarded opaque. False when there is nothing to forward (the
// client failed or closed before a byte).
// `detection` may hold bytes read before (inbound mTLS's look for a ClientHello): detection goes
// on from them, or, when `decided`, is already over.
asio::awaitable<bool> run_detection(const ListenerContext& ctx, net::Stream& client,
                                    const tcp::endpoint& target, bool opaque, bool decided,
                                    metrics::TcpConnMetrics& client_metrics, Detection& detection) {
  if (opaque || core::contains_port(*ctx.opaque_ports, target.port())) co_return true;
  const auto started = Clock::now();
  if (!decided) detection = co_await detect_protocol(client, ctx.detect_timeout, std::move(detection));
  ctx.metrics->detect().record(ctx.direction, detection.result, Clock::now() - started);
  if (detection.result == metrics::DetectResult::read_timeout) {
    spdlog::info("{}: protocol detection timed out after {}ms; continuing as opaque TCP to {}",
                 metrics::to_string(ctx.direction), ctx.detect_timeout.count(),
                 metrics::format_target_addr(target));
  }
  if (detection.client_error || (detection.client_eof && detection.replay_size == 0)) {
    if (detection.client_error) net::reset(client);
    client_metrics.close(detection.client_error);
    co_return false;
  }
  co_return true;
}

// Writes the bytes detection read to the endpoint first, exactly as the client sent them.
// False (both sides reset and closed) when the endpoint fails.
asio::awaitable<bool> replay(Detection& detection, net::Stream& client,
                             metrics::TcpConnMetrics& client_metrics, net::Stream& endpoint,
                             metrics::TcpConnMetrics& endpoint_metrics) {
  const auto bytes = detection.replay_bytes();
  if (bytes.empty()) co_return true;
  client_metrics.add_read(bytes.size());
  auto [ec, written] = co_await asio::async_write(
      endpoint, asio::buffer(bytes.data(), bytes.size()), asio::as_tuple(asio::use_awaitable));
  if (ec) {
    net::reset(client);
    net::reset(endpoint);
    client_metrics.close({});
    endpoint_metrics.close(ec);
    co_return false;
  }
  endpoint_metrics.add_write(written);
  co_return true;
}

// The endpoint an opaque connection goes to: the original destination, or for a service in the
// destination table the one its balancer picks (per connection; it counts as pending while the
// connection is open). A refused connect puts that endpoint in backoff and tries another, up to
// three tries, since nothing was sent yet.
struct OpaqueEndpoint {
  net::Stream stream;
  tcp::endpoint addr;
  balance::Lease lease;
};

asio::awaitable<result<OpaqueEndpoint>> connect_opaque(const ListenerContext& ctx,
                                                       const tcp::endpoint& target,
                                                       const http::Destination& dest) {
  tls::Mesh* mesh = ctx.http.mesh;
  if (!dest) {
    auto socket = co_await net::connect(target, ctx.connect_timeout);
    if (!socket) co_return socket.error();
    co_return OpaqueEndpoint{net::Stream(std::move(*socket)), target, {}};
  }
  constexpr int kTries = 3;
  boost::system::error_code last;
  for (int i = 0; i < kTries; ++i) {
    auto lease = co_await dest.tcp_balancer->acquire();
    if (!lease) co_return lease.error();
    const auto addr = lease->endpoint().addr;
    auto socket = co_await net::connect(addr, ctx.connect_timeout);
    if (socket) {
      net::Stream stream(std::move(*socket));
      // A meshed endpoint that fails its mTLS handshake counts as one that refused: nothing
      // was sent, another may take the connection.
      boost::system::error_code tls_error;
      if (tls::meshed(mesh, &lease->endpoint())) {
        tls_error = co_await tls::secure(*mesh, stream, lease->endpoint(), ctx.connect_timeout);
      }
      if (!tls_error) {
        lease->connected(Clock::now());
        co_return OpaqueEndpoint{std::move(stream), addr, std::move(*lease)};
      }
      spdlog::debug("{}: mTLS to {} ({}) failed: {}", metrics::to_string(ctx.direction),
                    metrics::format_target_addr(addr), lease->endpoint().identity,
                    tls_error.message());
      net::reset(stream);
      last = tls_error;
    } else {
      last = socket.error();
    }
    lease->connect_failed(Clock::now());
  }
  co_return last;
}

}  // namespace

asio::awaitable<void> forward_tcp(const ListenerContext& ctx, tcp::socket socket) {
  net::prepare_socket(socket);
  net::Stream client(std::move(socket));
  const auto target = ctx.orig_dst->resolve(client.socket());
  if (!target) {
    spdlog::debug("{}: dropping connection: {}", metrics::to_string(ctx.direction),
                  target.error().message());
    net::reset(client);
    co_return;
  }
  if (is_forwarding_loop(ctx.local, *target)) {
    spdlog::warn("{}: refusing connection to {}: {}", metrics::to_string(ctx.direction),
                 metrics::format_target_addr(*target),
                 make_error_code(errc::forwarding_loop).message());
    net::reset(client);
    co_return;
  }

  // Inbound with mTLS: first, whether the client opens TLS, and for whom.
  Detection detection;
  InboundTls inbound_tls;
  metrics::TlsRef client_tls = ctx.client_tls;
  if (ctx.mesh != nullptr) {
    inbound_tls = co_await accept_inbound_tls(ctx, client, *target, detection);
    switch (inbound_tls.kind) {
      case InboundTls::Kind::terminated:
        client_tls = metrics::TlsRef::established(inbound_tls.peer);
        break;
      case InboundTls::Kind::passthrough:
        client_tls = metrics::TlsRef::opaque(inbound_tls.peer);
        break;
      case InboundTls::Kind::refused:
      case InboundTls::Kind::gone: {
        auto refused = ctx.metrics->open_tcp({ctx.direction, metrics::Peer::src, *target, client_tls});
        if (inbound_tls.kind == InboundTls::Kind::refused || inbound_tls.error) net::reset(client);
        refused.close(inbound_tls.error);
        co_return;
      }
      case InboundTls::Kind::plaintext: break;
    }
  }
  // The client's series carry its TLS label, and so do its HTTP requests' (serve_h1/h2).
  auto client_metrics =
      ctx.metrics->open_tcp({ctx.direction, metrics::Peer::src, *target, client_tls});

  // Outbound connections to a service in the destination table are balanced over its endpoints;
  // a service marked opaque skips detection, and so does TLS passed through.
  const auto dest = ctx.http.router ? ctx.http.router->resolve(*target, {}) : http::Destination{};
  const bool opaque = (dest && dest.service->opaque) ||
                      inbound_tls.kind == InboundTls::Kind::passthrough;
  if (!co_await run_detection(ctx, client, *target, opaque, inbound_tls.decided, client_metrics,
                              detection)) {
    co_return;
  }
  if (detection.result == metrics::DetectResult::http1) {
    // Detection's bytes live in `detection` until serve_h1 returns.
    co_await http::serve_h1(ctx.http, std::move(client), *target, detection.replay_bytes(),
                            std::move(client_metrics));
    co_return;
  }
  if (detection.result == metrics::DetectResult::http2) {
    co_await http::serve_h2(ctx.http, std::move(client), *target, detection.replay_bytes(),
                            std::move(client_metrics));
    co_return;
  }

  auto endpoint = co_await connect_opaque(ctx, *target, dest);
  if (!endpoint) {
    // The client learns of the failure as a reset, as it would without the proxy in between.
    spdlog::debug("{}: connect to {} failed: {}", metrics::to_string(ctx.direction),
                  metrics::format_target_addr(*target), endpoint.error().message());
    net::reset(client);
    client_metrics.close(endpoint.error());
    co_return;
  }
  // tls="true",server_id=<identity> for a meshed endpoint (connected to with mTLS), as
  // HttpContext::endpoint_tls_for labels HTTP to the same endpoint.
  metrics::TcpTarget endpoint_target{
      ctx.direction, metrics::Peer::dst, endpoint->addr,
      endpoint->lease ? ctx.http.endpoint_tls_for(&endpoint->lease.endpoint()) : ctx.endpoint_tls};
  if (endpoint->lease) endpoint_target.dst_labels = endpoint->lease.endpoint().metric_labels;
  auto endpoint_metrics = ctx.metrics->open_tcp(endpoint_target);
  if (!co_await replay(detection, client, client_metrics, endpoint->stream, endpoint_metrics)) {
    co_return;
  }
  detection.replay.reset();
  co_await net::duplex({client, client_metrics}, {endpoint->stream, endpoint_metrics},
                       {*ctx.buffers, *ctx.pipes}, ctx.idle_timeout);
}

}  // namespace weft::app
