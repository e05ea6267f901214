#include "weft/app/inbound_tls.hpp"

#include <spdlog/spdlog.h>

#include "weft/core/error.hpp"
#include "weft/metrics/labels.hpp"
#include "weft/tls/handshake.hpp"

namespace weft::app {

namespace asio = boost::asio;

namespace {

InboundTls outcome(InboundTls::Kind kind, std::string peer = {},
                   boost::system::error_code error = {}) {
  InboundTls out;
  out.kind = kind;
  out.peer = std::move(peer);
  out.error = error;
  return out;
}

}  // namespace

bool requires_identity(const ListenerContext& ctx, std::uint16_t port) noexcept {
  return ctx.require_identity_all ||
         (ctx.require_identity_ports != nullptr &&
          core::contains_port(*ctx.require_identity_ports, port));
}

asio::awaitable<InboundTls> accept_inbound_tls(const ListenerContext& ctx, net::Stream& client,
                                               const asio::ip::tcp::endpoint& target,
                                               Detection& detection) {
  using Kind = InboundTls::Kind;
  const bool required = requires_identity(ctx, target.port());
  const auto refuse = [&](errc why, std::string_view what) {
    spdlog::info("inbound: refusing {} to {}: {}", what, metrics::format_target_addr(target),
                 make_error_code(why).message());
    return outcome(Kind::refused, {}, make_error_code(why));
  };

  const auto hello = co_await read_client_hello(client, detection, ctx.detect_timeout);
  if (detection.client_error || (detection.client_eof && detection.replay_size == 0)) {
    co_return outcome(Kind::gone, {}, detection.client_error);
  }
  if (hello.status != tls::HelloStatus::hello) {
    if (required) co_return refuse(errc::tls_identity_required, "a plaintext client");
    auto plain = outcome(Kind::plaintext);
    plain.decided = hello.status == tls::HelloStatus::need_more;
    co_return plain;
  }

  // Held for the handshake, so that a rotation meanwhile does not free its context.
  const tls::IdentityPtr identity = ctx.mesh->identity.current();
  if (!identity || hello.hello.sni != identity->server_name) {
    // The application's own TLS (or a client of another workload): not ours to open.
    if (required) co_return refuse(errc::tls_identity_required, "a TLS client of another name");
    co_return outcome(Kind::passthrough, std::string(hello.hello.sni));
  }
  auto id = co_await tls::accept(client, *identity, detection.replay_bytes(), ctx.detect_timeout);
  detection = Detection{};  // the hello was the handshake's; detection starts over, decrypted
  if (!id) {
    spdlog::info("inbound: mTLS handshake for {} failed: {}", metrics::format_target_addr(target),
                 id.error().message());
    co_return outcome(Kind::refused, {}, id.error());
  }
  if (required && id->empty()) {
    co_return refuse(errc::tls_identity_required, "a TLS client without a certificate");
  }
  co_return outcome(Kind::terminated, std::move(*id));
}

}  // namespace weft::app
