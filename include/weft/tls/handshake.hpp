// The two mTLS handshakes on a connection. Inbound, a proxy terminates TLS for a client that
// asked for its server name: TLS 1.3, a client certificate requested and verified, the client's
// SPIFFE ID returned. Outbound, a proxy connects to a meshed endpoint: TLS 1.3 with the
// endpoint's server name, this pod's certificate presented, the endpoint's certificate verified
// against the trust anchors and its URI SAN checked against the identity discovery gave.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "weft/core/parse.hpp"
#include "weft/core/result.hpp"
#include "weft/net/stream.hpp"
#include "weft/tls/identity.hpp"
#include "weft/tls/session_cache.hpp"

namespace weft::tls {

/// Terminates TLS on an inbound connection whose ClientHello (`hello`, the bytes detection read)
/// named this proxy. The client's SPIFFE ID, or "" when it gave no certificate. Errors:
/// errc::tls_unknown_ca, errc::tls_cert_expired (a certificate that does not verify),
/// errc::tls_handshake (anything else), errc::detect_timeout when `timeout` passes first.
boost::asio::awaitable<result<std::string>> accept(net::Stream& stream, const Identity& identity,
                                                   std::span<const std::byte> hello,
                                                   core::duration timeout);

/// What an outbound handshake must find at the other end.
struct Expected {
  std::string_view id;           // the endpoint's SPIFFE ID (discovery's `identity`)
  std::string_view server_name;  // its server name, sent as SNI
  std::string_view session_key;  // the endpoint's key in the worker's SessionCache
};

/// Originates TLS on an outbound connection to a meshed endpoint. Errors: errc::tls_unknown_ca,
/// errc::tls_cert_expired, errc::tls_identity_mismatch, errc::tls_handshake,
/// errc::connect_timeout when `timeout` passes first.
boost::asio::awaitable<boost::system::error_code> connect(net::Stream& stream,
                                                          const Identity& identity,
                                                          const Expected& expected,
                                                          SessionCache& sessions,
                                                          core::duration timeout);

/// The first URI SAN of the peer's verified certificate, or "" when there is none.
std::string peer_id(SSL* ssl);

}  // namespace weft::tls
