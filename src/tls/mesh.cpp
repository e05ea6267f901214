#include "weft/tls/mesh.hpp"

#include <fmt/format.h>

#include "weft/core/error.hpp"
#include "weft/metrics/labels.hpp"
#include "weft/tls/handshake.hpp"

namespace weft::tls {

boost::asio::awaitable<boost::system::error_code> secure(Mesh& mesh, net::Stream& stream,
                                                         const discovery::Endpoint& endpoint,
                                                         core::duration timeout) {
  // Held for the handshake: a rotation meanwhile does not free the context under it.
  const IdentityPtr identity = mesh.identity.current();
  if (!identity) co_return make_error_code(errc::identity_not_ready);
  // Sessions are per endpoint address and identity: a ticket from one pod is no use to another.
  const auto key = fmt::format("{}@{}", endpoint.server_name,
                               metrics::format_target_addr(endpoint.addr));
  co_return co_await connect(stream, *identity,
                             Expected{endpoint.identity, endpoint.server_name, key},
                             *mesh.sessions, timeout);
}

}  // namespace weft::tls
