// Opaque TCP forwarding between an accepted client socket and a connected endpoint socket: copies
// bytes both ways with half-close, bounded buffers (one pooled 16 KiB buffer per direction, held
// only while bytes are in flight), an idle timeout and byte metrics. A failure on one side reaches
// the other as a reset, never as a clean end of stream.
#pragma once

#include "weft/core/parse.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace weft::net {

/// One proxied socket and the metrics handle that counts its bytes and its close.
struct DuplexSide {
  boost::asio::ip::tcp::socket& socket;
  metrics::TcpConnMetrics& metrics;
};

/// What ended the duplex; both empty means both directions ended with an orderly EOF.
struct DuplexOutcome {
  boost::system::error_code client_error;
  boost::system::error_code endpoint_error;
};

/// Runs until both directions have ended, one side fails, or nothing moves for `idle_timeout`.
/// On return both sockets are closed and both metrics handles closed with their side's error
/// (errc::idle_timeout on idle expiry). Runs on the worker that owns the sockets and `pool`.
boost::asio::awaitable<DuplexOutcome> duplex(DuplexSide client, DuplexSide endpoint, BufferPool& pool,
                                             core::duration idle_timeout);

}  // namespace weft::net
