// Outbound TLS session resumption: the session tickets each endpoint's proxy gave us, kept per
// worker and offered on the next connection to it, so that reconnects (a pool refilling, a new
// opaque connection) skip the certificate signature and verification of a full handshake.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "weft/tls/x509.hpp"

namespace weft::tls {

class SessionCache : public std::enable_shared_from_this<SessionCache> {
 public:
  explicit SessionCache(std::size_t capacity = 1024) : capacity_(capacity) {}

  /// Before the handshake of `ssl` to the endpoint `key` (its server name and address): offers
  /// the last session the endpoint gave, and has the tickets it gives on this connection kept.
  void prepare(SSL* ssl, std::string_view key);

  /// Sets the callback that receives new sessions on an outbound context.
  static void install(SSL_CTX* ctx);

 private:
  friend int on_new_session(SSL* ssl, SSL_SESSION* session);
  void keep(const std::string& key, SSL_SESSION* session);

  std::size_t capacity_;
  std::unordered_map<std::string, SslSessionPtr> sessions_;
};

}  // namespace weft::tls
