#include "weft/tls/handshake.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "weft/core/error.hpp"

namespace weft::tls {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

// A failed handshake's certificate verdict, when there is one, names the failure better than
// "handshake failed".
error_code refine(SSL* ssl, error_code ec) {
  if (ssl == nullptr || ec != make_error_code(errc::tls_handshake)) return ec;
  switch (SSL_get_verify_result(ssl)) {
    case X509_V_OK: return ec;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return make_error_code(errc::tls_cert_expired);
    default: return make_error_code(errc::tls_unknown_ca);
  }
}

asio::awaitable<error_code> handshake_within(net::Stream& stream, SslPtr ssl, bool server,
                                             std::span<const std::byte> already_read,
                                             core::duration timeout, errc on_timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto outcome = co_await (stream.handshake(std::move(ssl), server, already_read) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) co_return make_error_code(on_timeout);
  co_return refine(stream.ssl(), std::get<0>(outcome));
}

}  // namespace

std::string peer_id(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  auto sans = uri_sans(cert);
  return sans.empty() ? std::string() : std::move(sans.front());
}

asio::awaitable<result<std::string>> accept(net::Stream& stream, const Identity& identity,
                                            std::span<const std::byte> hello,
                                            core::duration timeout) {
  SslPtr ssl(SSL_new(identity.server_ctx.get()));
  if (!ssl) {
    ERR_clear_error();
    co_return make_error_code(errc::tls_handshake);
  }
  if (auto ec = co_await handshake_within(stream, std::move(ssl), true, hello, timeout,
                                          errc::detect_timeout)) {
    co_return ec;
  }
  co_return peer_id(stream.ssl());
}

asio::awaitable<error_code> connect(net::Stream& stream, const Identity& identity,
                                    const Expected& expected, SessionCache& sessions,
                                    core::duration timeout) {
  SslPtr ssl(SSL_new(identity.client_ctx.get()));
  const std::string server_name(expected.server_name);
  if (!ssl || SSL_set_tlsext_host_name(ssl.get(), server_name.c_str()) != 1) {
    ERR_clear_error();
    co_return make_error_code(errc::tls_handshake);
  }
  sessions.prepare(ssl.get(), expected.session_key);
  if (auto ec = co_await handshake_within(stream, std::move(ssl), false, {}, timeout,
                                          errc::connect_timeout)) {
    co_return ec;
  }
  // The chain verified during the handshake (SSL_VERIFY_PEER); the name is ours to check, since
  // OpenSSL's host checks know DNS names and addresses, not URI SANs. A resumed session carries
  // the certificate it was first verified with.
  X509* cert = SSL_get0_peer_certificate(stream.ssl());
  const auto sans = cert != nullptr ? uri_sans(cert) : std::vector<std::string>{};
  if (std::find(sans.begin(), sans.end(), expected.id) == sans.end()) {
    co_return make_error_code(errc::tls_identity_mismatch);
  }
  co_return error_code{};
}

}  // namespace weft::tls
