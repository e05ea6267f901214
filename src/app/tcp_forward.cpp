#include "weft/app/tcp_forward.hpp"

#include <spdlog/spdlog.h>

#include "weft/core/error.hpp"
#include "weft/metrics/labels.hpp"
#include "weft/net/connector.hpp"
#include "weft/net/duplex.hpp"

namespace weft::app {

namespace asio = boost::asio;
using asio::ip::tcp;

bool is_forwarding_loop(const tcp::endpoint& listener, const tcp::endpoint& target) noexcept {
  // A listener on a wildcard address answers on every local address, so the port alone decides;
  // this is also Linkerd's rule for the inbound port.
  return target.port() == listener.port() &&
         (listener.address().is_unspecified() || listener.address() == target.address());
}

asio::awaitable<void> forward_tcp(const ListenerContext& ctx, tcp::socket client) {
  net::prepare_socket(client);
  const auto target = ctx.orig_dst->resolve(client);
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

  auto client_metrics =
      ctx.metrics->open_tcp({ctx.direction, metrics::Peer::src, *target, ctx.client_no_tls_reason});
  const auto timeout = ctx.connect_timeout;
  auto endpoint = co_await net::connect(*target, timeout);
  if (!endpoint) {
    // The client learns of the failure as a reset, as it would without the proxy in between.
    spdlog::debug("{}: connect to {} failed: {}", metrics::to_string(ctx.direction),
                  metrics::format_target_addr(*target), endpoint.error().message());
    net::reset(client);
    client_metrics.close(endpoint.error());
    co_return;
  }
  auto endpoint_metrics = ctx.metrics->open_tcp(
      {ctx.direction, metrics::Peer::dst, *target, ctx.endpoint_no_tls_reason});
  co_await net::duplex({client, client_metrics}, {*endpoint, endpoint_metrics},
                       {*ctx.buffers, *ctx.pipes}, ctx.idle_timeout);
}

}  // namespace weft::app
