#include "support/self_signed.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace weft::test {

namespace {

void check(bool ok, std::string_view what) {
  if (!ok) throw std::runtime_error(tls::openssl_errors(what));
}

std::string pem_of(int (*write)(BIO*, void*), void* object) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  check(bio && write(bio.get(), object) == 1, "PEM write");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

SelfSigned make_self_signed(std::string_view common_name) {
  SelfSigned out;
  out.key.reset(EVP_EC_gen("P-256"));
  check(out.key != nullptr, "EVP_EC_gen");
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  check(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, out.key.get());
  const std::string cn(common_name);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  add_extension(cert, NID_basic_constraints, "critical,CA:TRUE");
  const std::string san = "DNS:" + cn;
  add_extension(cert, NID_subject_alt_name, san.c_str());
  check(X509_sign(cert, out.key.get(), EVP_sha256()) > 0, "X509_sign");
  out.cert_pem =
      pem_of([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, cert);
  out.key_pem = pem_of(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      out.key.get());
  return out;
}

tls::SslCtxPtr make_server_ctx(const SelfSigned& id) {
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  check(ctx != nullptr, "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  check(SSL_CTX_use_certificate(ctx.get(), id.cert.get()) == 1, "use_certificate");
  check(SSL_CTX_use_PrivateKey(ctx.get(), id.key.get()) == 1, "use_PrivateKey");
  return ctx;
}

tls::SslCtxPtr make_client_ctx(const SelfSigned& trusted) {
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  check(ctx != nullptr, "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  check(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), trusted.cert.get()) == 1,
        "X509_STORE_add_cert");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

tls::SslPtr new_ssl(const tls::SslCtxPtr& ctx) {
  tls::SslPtr ssl(SSL_new(ctx.get()));
  check(ssl != nullptr, "SSL_new");
  return ssl;
}

}  // namespace weft::test
