// The life of one accepted connection: find its original destination, refuse forwarding loops,
// detect the protocol (unless the port is opaque), then either serve it as HTTP/1
// (http::serve_h1) or connect within the timeout, replay the bytes detection read and run the
// opaque duplex. Inbound and outbound share it and differ only in their ListenerContext.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string_view>
#include <vector>

#include "weft/core/parse.hpp"
#include "weft/http/context.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/orig_dst.hpp"
#include "weft/net/pipe_pool.hpp"

namespace weft::app {

/// What a listener's connections share. Owned by the worker; outlives its connections.
struct ListenerContext {
  metrics::Direction direction;
  boost::asio::ip::tcp::endpoint local;  // the listener's bound address
  const net::OrigDst* orig_dst;
  core::duration connect_timeout;
  core::duration idle_timeout;
  core::duration detect_timeout;
  const std::vector<core::PortRange>* opaque_ports;  // skip detection for these target ports
  metrics::TlsRef client_tls;  // TLS label of the accepted side, by default (per connection: mTLS)
  metrics::TlsRef endpoint_tls;  // TLS label of the connected side, by default
  /// Inbound: the worker's mTLS state (terminating TLS for this proxy's server name), nullptr
  /// without an identity configured.
  tls::Mesh* mesh = nullptr;
  const std::vector<core::PortRange>* require_identity_ports = nullptr;  // inbound
  bool require_identity_all = false;  // inbound: WEFT_PROXY_INBOUND_DEFAULT_POLICY=all-authenticated
  metrics::Shard* metrics;
  net::BufferPool* buffers;
  net::PipePool* pipes;
  /// What the HTTP connections of this listener share (detection dispatches to them).
  http::HttpContext http;
};

/// True when forwarding to `target` would come straight back into this listener.
bool is_forwarding_loop(const boost::asio::ip::tcp::endpoint& listener,
                        const boost::asio::ip::tcp::endpoint& target) noexcept;

/// Serves one accepted connection to its end. Never throws for network errors.
boost::asio::awaitable<void> forward_tcp(const ListenerContext& ctx,
                                         boost::asio::ip::tcp::socket client);

}  // namespace weft::app
