// The detection step of an accepted connection: read the client's first bytes within the detect
// timeout and classify them (HTTP/1, HTTP/2, or opaque), keeping the bytes read so that they are
// replayed to the endpoint. Ports configured as opaque never get here. It reads through a
// net::Stream, so it runs as well on the decrypted stream of a terminated TLS connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <span>

#include "weft/core/parse.hpp"
#include "weft/metrics/detect.hpp"
#include "weft/net/stream.hpp"
#include "weft/tls/client_hello.hpp"

namespace weft::app {

struct Detection {
  metrics::DetectResult result = metrics::DetectResult::error;
  /// The bytes read, to be written to the endpoint before anything else: detect::kMaxDetectBytes
  /// at most, allocated only once the client is readable (a burst of connections in detection
  /// costs 1 KiB each, not a 16 KiB copy buffer).
  std::unique_ptr<std::byte[]> replay;
  std::size_t replay_size = 0;
  std::size_t replay_capacity = 0;  // kMaxDetectBytes, or tls::kMaxClientHello for a hello
  std::span<const std::byte> replay_bytes() const noexcept { return {replay.get(), replay_size}; }
  /// Set when the client closed (with or without bytes) or failed during detection.
  boost::system::error_code client_error;
  bool client_eof = false;
};

/// Reads from `client` until the bytes decide the protocol, detect::kMaxDetectBytes arrive, the
/// client ends its stream, or `timeout` passes. `start`: bytes already read from the client
/// (read_client_hello's, when they were no TLS), decided on first.
boost::asio::awaitable<Detection> detect_protocol(net::Stream& client, core::duration timeout,
                                                  Detection start = {});

/// Inbound with mTLS, before detect_protocol: reads the client's first bytes into `d` until
/// they tell whether a TLS ClientHello comes. status `hello`: a whole ClientHello, its SNI and
/// ALPN in the result, its bytes in `d` (for the handshake, or to pass through). `not_tls`: the
/// bytes (in `d`) are something else, for detect_protocol. `need_more`: nothing decided —
/// `d.result` says why: read_timeout (no byte in `timeout`), not_http (a TLS record header and
/// then silence), error (the client failed or closed; d.client_error, d.client_eof).
boost::asio::awaitable<tls::HelloParse> read_client_hello(net::Stream& client, Detection& d,
                                                          core::duration timeout);

}  // namespace weft::app
