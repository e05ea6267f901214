// Inbound mTLS, the step before protocol detection when the proxy has an identity: the client's
// first bytes tell whether it opens TLS. A ClientHello for this proxy's server name is terminated
// (TLS 1.3, the client's certificate verified, its SPIFFE ID kept for the metrics and the
// weft-client-id field); a ClientHello for any other name is the application's own TLS and
// passes through untouched; anything else is plaintext and goes on to detection. Ports that
// require identity refuse what is not an authenticated mTLS client.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "weft/app/protocol_detect.hpp"
#include "weft/app/tcp_forward.hpp"
#include "weft/net/stream.hpp"

namespace weft::app {

struct InboundTls {
  enum class Kind {
    plaintext,    ///< no TLS; `detection` holds the bytes read (see decided)
    terminated,   ///< mTLS with this proxy; the stream is TLS now; `peer` is the client's ID
    passthrough,  ///< TLS for another name; `detection` holds the hello; `peer` is its SNI
    refused,      ///< the port's policy refused the client, or the handshake failed; reset it
    gone,         ///< the client failed or closed before anything was decided
  };
  Kind kind = Kind::plaintext;
  std::string peer;
  /// plaintext: whether the bytes already decide detection (the client went quiet, so that
  /// waiting a second detect timeout would add nothing): detection.result says how.
  bool decided = false;
  boost::system::error_code error;  // refused: why
};

/// Whether inbound connections to `port` must be authenticated mTLS clients.
bool requires_identity(const ListenerContext& ctx, std::uint16_t port) noexcept;

/// Reads the first bytes into `detection` and acts on them as above. Only for inbound listeners
/// with ctx.mesh set.
boost::asio::awaitable<InboundTls> accept_inbound_tls(const ListenerContext& ctx,
                                                      net::Stream& client,
                                                      const boost::asio::ip::tcp::endpoint& target,
                                                      Detection& detection);

}  // namespace weft::app
