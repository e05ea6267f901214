// The detection step of an accepted connection: read the client's first bytes within the detect
// timeout and classify them (HTTP/1, HTTP/2, or opaque), keeping the bytes read so that they are
// replayed to the endpoint. Ports configured as opaque never get here.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "weft/core/parse.hpp"
#include "weft/metrics/detect.hpp"
#include "weft/net/buffer_pool.hpp"

namespace weft::app {

struct Detection {
  metrics::DetectResult result = metrics::DetectResult::error;
  /// The bytes read, to be written to the endpoint before anything else. Empty when nothing was
  /// read (a timeout, or a client that closed at once).
  net::BufferPool::Lease replay;
  std::size_t replay_size = 0;
  /// Set when the client closed (with or without bytes) or failed during detection.
  boost::system::error_code client_error;
  bool client_eof = false;
};

/// Reads from `client` until the bytes decide the protocol, detect::kMaxDetectBytes arrive, the
/// client ends its stream, or `timeout` passes. Leases a buffer only once the client is readable.
boost::asio::awaitable<Detection> detect_protocol(boost::asio::ip::tcp::socket& client,
                                                  net::BufferPool& buffers, core::duration timeout);

}  // namespace weft::app
