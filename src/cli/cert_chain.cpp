#include "cert_chain.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include <memory>

namespace weft::cli {
namespace {

struct StoreFree {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct StackFree {
  // The stack only borrows the certificates.
  void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};

}  // namespace

ChainCheck check_chain(X509* cert, const std::vector<tls::X509Ptr>& intermediates,
                       const std::vector<tls::X509Ptr>& anchors, bool check_time) {
  const std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  const std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  const std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return {tls::openssl_errors("out of memory"), {}};
  for (const auto& a : anchors) X509_STORE_add_cert(store.get(), a.get());
  for (const auto& i : intermediates) sk_X509_push(untrusted.get(), i.get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert, untrusted.get()) != 1) {
    return {tls::openssl_errors("X509_STORE_CTX_init"), {}};
  }
  if (!check_time) X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return {X509_verify_cert_error_string(error), {}};
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  const X509* top = sk_X509_value(chain, sk_X509_num(chain) - 1);
  return {{}, name_text(X509_get_subject_name(top))};
}

std::string name_text(const X509_NAME* name) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string key_description(const X509* cert) {
  const EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return "none";
  char group[64] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1) {
    return fmt::format("{} {}", EVP_PKEY_get0_type_name(key), group);
  }
  ERR_clear_error();
  return fmt::format("{} {}", EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key));
}

Validity validity_of(const X509* cert) {
  const auto seconds = [](std::chrono::system_clock::time_point t) {
    return std::chrono::floor<std::chrono::seconds>(t);
  };
  return {seconds(tls::not_before(cert)), seconds(tls::not_after(cert))};
}

std::string format_span(std::chrono::seconds span) {
  using namespace std::chrono;
  const auto d = duration_cast<days>(span);
  const auto h = duration_cast<hours>(span - d);
  const auto m = duration_cast<minutes>(span - d - h);
  if (d.count() > 0) return fmt::format("{}d{}h", d.count(), h.count());
  if (h.count() > 0) return fmt::format("{}h{}m", h.count(), m.count());
  if (m.count() > 0) return fmt::format("{}m", m.count());
  return fmt::format("{}s", span.count());
}

}  // namespace weft::cli
