// Opaque TCP forwarding between an accepted client stream and a connected endpoint stream: moves
// bytes both ways, each direction holding a pooled 16 KiB pipe or buffer only while bytes are in
// flight; half-close, an idle timeout and byte metrics. Plaintext to plaintext goes through
// splice(2) (or, without a pipe, a buffer); when either side is TLS, a userspace copy through a
// buffer. A failure on one side reaches the other as a reset, never as a clean end of stream.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "weft/core/parse.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/pipe_pool.hpp"
#include "weft/net/stream.hpp"

namespace weft::net {

/// One proxied stream and the metrics handle that counts its bytes (application bytes, for TLS)
/// and its close.
struct DuplexSide {
  Stream& stream;
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
/// On return both streams are closed and both metrics handles closed with their side's error
/// (errc::idle_timeout on idle expiry). Runs on the worker that owns the streams and the pools.
/// A TLS side ends its direction with close_notify before the TCP half-close.
boost::asio::awaitable<DuplexOutcome> duplex(DuplexSide client, DuplexSide endpoint, Pools pools,
                                             core::duration idle_timeout);

}  // namespace weft::net
