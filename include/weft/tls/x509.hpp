// OpenSSL ownership and the few certificate facts weft reads: RAII pointers for OpenSSL's objects,
// PEM loading, a certificate's URI SANs and validity, and the error queue as a message. Shared by
// the identity store, the TLS handshakes and `weft identity`.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/core/result.hpp"

namespace weft::tls {

struct SslFree {
  void operator()(SSL* p) const noexcept { SSL_free(p); }
};
struct SslCtxFree {
  void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};
struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct SslSessionFree {
  void operator()(SSL_SESSION* p) const noexcept { SSL_SESSION_free(p); }
};

using SslPtr = std::unique_ptr<SSL, SslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionFree>;

/// OpenSSL's error queue as one line ("what: reason; reason"), emptied. For logs and startup errors.
std::string openssl_errors(std::string_view what);

/// Every certificate in a PEM text, in order. An error when there is none or one does not parse.
result<std::vector<X509Ptr>> read_pem_certs(std::string_view pem);

/// The one private key in a PEM text (PKCS#8 or traditional).
result<EvpPkeyPtr> read_pem_key(std::string_view pem);

/// The certificate's URI subject alternative names, in order.
std::vector<std::string> uri_sans(const X509* cert);

/// The certificate's notBefore and notAfter.
std::chrono::system_clock::time_point not_before(const X509* cert);
std::chrono::system_clock::time_point not_after(const X509* cert);

}  // namespace weft::tls
