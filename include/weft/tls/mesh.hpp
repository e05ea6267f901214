// A worker's side of mTLS: its view of the workload identity, its outbound session cache, and
// the step that turns a fresh connection to a meshed endpoint into an mTLS one. Workers without
// WEFT_PROXY_IDENTITY_DIR have no Mesh, and talk plaintext to everyone.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "weft/core/parse.hpp"
#include "weft/discovery/table.hpp"
#include "weft/net/stream.hpp"
#include "weft/tls/identity.hpp"
#include "weft/tls/session_cache.hpp"

namespace weft::tls {

struct Mesh {
  explicit Mesh(const IdentityStore& store)
      : identity(store), sessions(std::make_shared<SessionCache>()) {}

  IdentityStore::View identity;
  std::shared_ptr<SessionCache> sessions;
};

/// Whether a connection to `endpoint` is mTLS: mTLS is on and discovery gave it an identity.
inline bool meshed(const Mesh* mesh, const discovery::Endpoint* endpoint) noexcept {
  return mesh != nullptr && endpoint != nullptr && !endpoint->identity.empty();
}

/// TLS on `stream`, just connected to the meshed `endpoint`: our current identity presented,
/// the endpoint's verified. errc::identity_not_ready before our identity is loaded; otherwise
/// tls::connect's errors. Bounded by `timeout`.
boost::asio::awaitable<boost::system::error_code> secure(Mesh& mesh, net::Stream& stream,
                                                         const discovery::Endpoint& endpoint,
                                                         core::duration timeout);

}  // namespace weft::tls
