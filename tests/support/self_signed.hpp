// A self-signed ECDSA P-256 certificate made with OpenSSL's API, and TLS 1.3 contexts around it,
// for tests that need a real TLS peer without any files or the identity store.
#pragma once

#include <string>
#include <string_view>

#include "weft/tls/x509.hpp"

namespace weft::test {

struct SelfSigned {
  tls::X509Ptr cert;
  tls::EvpPkeyPtr key;
  std::string cert_pem;
  std::string key_pem;  // PKCS#8
};

/// A fresh key and a certificate for `common_name` (also its DNS SAN), valid for a day.
SelfSigned make_self_signed(std::string_view common_name);

/// A TLS 1.3-only server context presenting `id`.
tls::SslCtxPtr make_server_ctx(const SelfSigned& id);

/// A TLS 1.3-only client context that verifies the server against `trusted` (no name check).
tls::SslCtxPtr make_client_ctx(const SelfSigned& trusted);

/// SSL_new on the context, owned.
tls::SslPtr new_ssl(const tls::SslCtxPtr& ctx);

}  // namespace weft::test
