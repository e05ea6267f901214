#include "weft/tls/identity.hpp"

#include "weft/tls/session_cache.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

namespace weft::tls {

namespace {

using Failure = boost::system::result<IdentityPtr, std::string>;

struct StoreFree {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

// TLS 1.3 only, as Linkerd; the suites and groups it offers (without the post-quantum hybrid,
// which OpenSSL 3.0 does not have).
constexpr const char* kSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256";

StorePtr anchor_store(const std::vector<X509Ptr>& anchors) {
  StorePtr store(X509_STORE_new());
  for (const auto& anchor : anchors) X509_STORE_add_cert(store.get(), anchor.get());
  return store;
}

// The verification the handshakes will do, done once on our own chain: a pod must not serve a
// certificate its peers would refuse.
std::string verify_chain(const std::vector<X509Ptr>& chain, const std::vector<X509Ptr>& anchors,
                         std::chrono::system_clock::time_point now) {
  auto store = anchor_store(anchors);
  std::unique_ptr<STACK_OF(X509), decltype([](STACK_OF(X509)* s) { sk_X509_free(s); })> untrusted(
      sk_X509_new_null());
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1) {
    return openssl_errors("cannot verify");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(ctx.get()) == 1) return {};
  ERR_clear_error();
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

SslCtxPtr common_ctx(const std::vector<X509Ptr>& chain, EVP_PKEY* key,
                     const std::vector<X509Ptr>& anchors) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return nullptr;
  bool ok = SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_ciphersuites(ctx.get(), kSuites) == 1 &&
            SSL_CTX_set1_groups_list(ctx.get(), kGroups) == 1 &&
            SSL_CTX_use_certificate(ctx.get(), chain[0].get()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx.get(), key) == 1;
  for (std::size_t i = 1; ok && i < chain.size(); ++i) {
    ok = SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) == 1;
  }
  if (!ok) return nullptr;
  SSL_CTX_set_cert_store(ctx.get(), anchor_store(anchors).release());
  // One read(2) brings in as many records as fit, not a header then a body.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  // A peer that closes without close_notify ends the stream as a TCP FIN would: HTTP framing
  // tells a truncated message, and opaque TCP never had more than that.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

boost::system::result<IdentityPtr, std::string> make_identity(
    const IdentityFiles& files, std::chrono::system_clock::time_point now) {
  auto chain = read_pem_certs(files.cert_pem);
  if (!chain) return Failure("tls.crt: no certificate, or one that does not parse");
  auto key = read_pem_key(files.key_pem);
  if (!key) return Failure("tls.key: no private key, or one that does not parse");
  auto anchors = read_pem_certs(files.anchors_pem);
  if (!anchors) return Failure("trust anchors: no certificate, or one that does not parse");
  X509* leaf = (*chain)[0].get();
  if (X509_check_private_key(leaf, key->get()) != 1) {
    ERR_clear_error();
    return Failure("tls.key is not the key of the certificate in tls.crt");
  }
  const auto sans = uri_sans(leaf);
  if (sans.size() != 1) {
    return Failure(fmt::format("tls.crt: the certificate must have exactly one URI SAN, the "
                               "workload's SPIFFE ID; it has {}", sans.size()));
  }
  auto id = parse_workload_id(sans[0]);
  if (!id) {
    return Failure(fmt::format("tls.crt: URI SAN {}: {}", sans[0], workload_id_problem(sans[0])));
  }
  if (auto problem = verify_chain(*chain, *anchors, now); !problem.empty()) {
    return Failure(fmt::format("tls.crt does not verify against the trust anchors: {}", problem));
  }

  auto identity = std::make_shared<Identity>();
  identity->id = std::move(*id);
  identity->server_name = identity->id.server_name();
  identity->not_after = not_after(leaf);
  identity->server_ctx = common_ctx(*chain, key->get(), *anchors);
  identity->client_ctx = common_ctx(*chain, key->get(), *anchors);
  if (!identity->server_ctx || !identity->client_ctx) {
    return Failure(openssl_errors("cannot build the TLS contexts"));
  }
  // Inbound: a client certificate is asked for and, when given, must verify; a client without
  // one is let through as unauthenticated (the port's policy decides). One session ticket per
  // handshake is enough to resume the next connection from the same proxy.
  static constexpr unsigned char kSessionContext[] = "weft";
  SSL_CTX_set_verify(identity->server_ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, nullptr);
  SSL_CTX_set_session_id_context(identity->server_ctx.get(), kSessionContext,
                                 sizeof kSessionContext - 1);
  SSL_CTX_set_num_tickets(identity->server_ctx.get(), 1);
  // Outbound: the server must verify; its identity is checked against the expected one after
  // the handshake. Sessions are kept by the worker's SessionCache, not OpenSSL's.
  SSL_CTX_set_verify(identity->client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_session_cache_mode(identity->client_ctx.get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SessionCache::install(identity->client_ctx.get());
  return IdentityPtr(std::move(identity));
}

}  // namespace weft::tls
