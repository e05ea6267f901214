// Opaque TCP forwarding between an accepted client socket and a connected endpoint socket: moves
// bytes both ways with splice(2) through a pooled 16 KiB pipe per direction (or, without a pipe, a
// pooled 16 KiB buffer), each held only while bytes are in flight; half-close, an idle timeout and
// byte metrics. A failure on one side reaches the other as a reset, never as a clean end of stream.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "weft/core/parse.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/pipe_pool.hpp"

namespace weft::net {

/// One proxied socket and the metrics handle that counts its bytes and its close.
struct DuplexSide {
  boost::asio::ip::tcp::socket& socket;
  metrics::TcpConnMetrics& metrics;
};

/// The worker's pools the two directions lease from.
struct Pools {
  BufferPool& buffers;
  PipePool& pipes;
};

/// What ended the duplex; both empty means both directions ended with an orderly EOF.
struct DuplexOutcome {
  boost::system::error_code client_error;
  boost::system::error_code endpoint_error;
};

/// Runs until both directions have ended, one side fails, or nothing moves for `idle_timeout`.
/// On return both sockets are closed and both metrics handles closed with their side's error
/// (errc::idle_timeout on idle expiry). Runs on the worker that owns the sockets and the pools.
boost::asio::awaitable<DuplexOutcome> duplex(DuplexSide client, DuplexSide endpoint, Pools pools,
                                             core::duration idle_timeout);

}  // namespace weft::net
