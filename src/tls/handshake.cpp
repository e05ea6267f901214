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
    case X509_V_ERR_APPLICATION_VERIFICATION: return make_error_code(errc::tls_identity_mismatch);
    default: return make_error_code(errc::tls_unknown_ca);
  }
}

// Where an outbound handshake keeps the identity it expects, for the verify callback.
int expected_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool names(X509* cert, std::string_view id) {
  const auto sans = cert != nullptr ? uri_sans(cert) : std::vector<std::string>{};
  return std::find(sans.begin(), sans.end(), id) != sans.end();
}

// The endpoint's name is checked inside certificate verification, as rustls does for Linkerd:
// a certificate for another workload aborts the handshake with an alert before this proxy sends
// its Finished (or its own certificate) to it. OpenSSL's host checks know DNS names and
// addresses, not URI SANs, hence a callback.
int verify_expected(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return preverify_ok;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* expected = static_cast<const Expected*>(SSL_get_ex_data(ssl, expected_index()));
  if (expected == nullptr || names(X509_STORE_CTX_get_current_cert(store), expected->id)) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
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
  // `expected` outlives the handshake, the only time the callback runs; cleared after it.
  SSL_set_ex_data(ssl.get(), expected_index(), const_cast<Expected*>(&expected));
  SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, verify_expected);
  auto ec = co_await handshake_within(stream, std::move(ssl), false, {}, timeout,
                                      errc::connect_timeout);
  if (stream.ssl() != nullptr) SSL_set_ex_data(stream.ssl(), expected_index(), nullptr);
  if (ec) co_return ec;
  // A resumed session runs no certificate verification: it carries the certificate it was first
  // verified with, checked here again (a session of one endpoint must not stand for another).
  if (!names(SSL_get0_peer_certificate(stream.ssl()), expected.id)) {
    co_return make_error_code(errc::tls_identity_mismatch);
  }
  co_return error_code{};
}

}  // namespace weft::tls
