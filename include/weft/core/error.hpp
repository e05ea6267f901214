// weft::errc: the one list of failures the proxy itself detects, registered as a
// boost::system error category so that data-path code passes them around as error_code values.
#pragma once

#include <boost/system/error_code.hpp>
#include <string_view>
#include <type_traits>

namespace weft {

enum class errc {
  /// Protocol detection saw no bytes within the detect timeout.
  detect_timeout = 1,
  /// The endpoint did not accept the connection within the connect timeout.
  connect_timeout,
  /// Neither side sent or received a byte within the idle timeout.
  idle_timeout,
  /// The accepted socket has no original destination (no iptables redirect and no override).
  no_original_dst,
  /// The original destination is the proxy's own listener: forwarding would loop.
  forwarding_loop,
  /// The proxy is draining and no longer takes new work.
  shutting_down,
  /// The endpoint closed or reset its connection before it finished its response head.
  endpoint_closed,
  /// The endpoint's response was not HTTP (bad status line, fields or framing).
  bad_response,
  /// A peer broke the HTTP/2 protocol (RFC 9113 connection error).
  h2_protocol_error,
  /// A peer reset the stream (RST_STREAM) or went away (GOAWAY) before it ended.
  stream_reset,
  /// A failure with no better name: a bug, logged and counted.
  unexpected,
  /// No endpoint of the service became ready within the failfast timeout (or the balancer is in
  /// failfast). Linkerd's "service in fail-fast".
  failfast,
  /// The balancer's queue of requests waiting for an endpoint is full.
  loadshed,
  /// The request's whole-request timeout (route or weft-timeout) expired.
  request_timeout,
  /// A try's timeout (weft-retry-timeout, per_try_timeout) or the route's idle timeout expired.
  response_timeout,
  /// Internal: a response the route retries, dropped so that the request is sent again. Never
  /// reaches a client.
  retry_response,
  /// A certificate, key or trust bundle that does not parse or does not fit (identity files).
  bad_certificate,
  /// The TLS handshake failed: a protocol error, an alert from the peer, or no common parameters.
  tls_handshake,
  /// The peer's certificate does not chain to the trust anchors.
  tls_unknown_ca,
  /// The peer's certificate has expired or is not yet valid.
  tls_cert_expired,
  /// The peer's certificate is valid but names another identity than the one expected.
  tls_identity_mismatch,
  /// The inbound port requires an authenticated (mTLS) client and this one is not.
  tls_identity_required,
  /// mTLS is configured but this proxy's identity is not loaded (yet): a meshed endpoint cannot
  /// be reached.
  identity_not_ready,
};

const boost::system::error_category& weft_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), weft_category()};
}

}  // namespace weft

template <>
struct boost::system::is_error_code_enum<weft::errc> : std::true_type {};
