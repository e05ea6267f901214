#include "cert_builder.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <array>
#include <stdexcept>

namespace weft::cli {
namespace {

struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};

[[noreturn]] void fail(std::string_view what) {
  throw std::runtime_error(tls::openssl_errors(what));
}

void check(bool ok, std::string_view what) {
  if (!ok) fail(what);
}

void set_serial(X509* cert) {
  // 128 bits with the top one clear: RFC 5280 wants a positive serial of at most 20 octets, and
  // CA/Browser practice asks for 64 or more random bits. Zero is not a valid serial.
  std::array<unsigned char, 16> bytes{};
  do {
    check(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1, "random serial");
    bytes[0] &= 0x7f;
  } while (bytes == decltype(bytes){});
  const std::unique_ptr<BIGNUM, BnFree> bn(
      BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr, "serial");
}

void set_validity(X509* cert, const Validity& v) {
  const auto seconds = [](Seconds t) { return static_cast<time_t>(t.time_since_epoch().count()); };
  check(ASN1_TIME_set(X509_getm_notBefore(cert), seconds(v.not_before)) != nullptr, "notBefore");
  check(ASN1_TIME_set(X509_getm_notAfter(cert), seconds(v.not_after)) != nullptr, "notAfter");
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str());
  check(ext != nullptr, value);
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  check(added, value);
}

void add_extensions(const CertSpec& spec, X509* cert, X509* signer) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, signer, cert, nullptr, nullptr, 0);
  switch (spec.kind) {
    case CertKind::trust_anchor:
      add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
      add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case CertKind::issuer:
      // pathlen 0: the issuer signs workloads only, never another CA.
      add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case CertKind::workload:
      // The X509-SVID profile: a leaf that cannot sign certificates, for both ends of mTLS.
      add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
      add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature");
      add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
      break;
  }
  // The SKI first: the AKI of the certificates this one signs is read from it.
  add_ext(cert, &ctx, NID_subject_key_identifier, "hash");
  if (spec.kind != CertKind::trust_anchor) {
    add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always");
  }
  if (!spec.uri_san.empty()) {
    // RFC 5280 4.2.1.6: with an empty subject, the SAN must be critical.
    const char* critical = spec.common_name.empty() ? "critical," : "";
    add_ext(cert, &ctx, NID_subject_alt_name, fmt::format("{}URI:{}", critical, spec.uri_san));
  }
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

tls::EvpPkeyPtr make_p256_key() {
  tls::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "ECDSA P-256 key generation");
  return key;
}

tls::X509Ptr make_certificate(const CertSpec& spec, EVP_PKEY* key, X509* signer,
                              EVP_PKEY* signer_key) {
  tls::X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "version");
  set_serial(cert.get());
  set_validity(cert.get(), spec.validity);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!spec.common_name.empty()) {
    check(
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(spec.common_name.data()),
                                   static_cast<int>(spec.common_name.size()), -1, 0) == 1,
        "subject CN");
  }
  const bool self_signed = spec.kind == CertKind::trust_anchor;
  if (self_signed) {
    signer = cert.get();
    signer_key = key;
  }
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer name");
  check(X509_set_pubkey(cert.get(), key) == 1, "public key");
  add_extensions(spec, cert.get(), signer);
  check(X509_sign(cert.get(), signer_key, EVP_sha256()) > 0, "signing the certificate");
  return cert;
}

std::string cert_pem(X509* cert) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "writing a certificate as PEM");
  return bio_text(bio.get());
}

std::string key_pkcs8_pem(EVP_PKEY* key) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                             nullptr) == 1,
        "writing a key as PKCS#8 PEM");
  return bio_text(bio.get());
}

std::string ca_trust_domain(const X509* cert) {
  constexpr std::string_view kScheme = "spiffe://";
  for (const auto& uri : tls::uri_sans(cert)) {
    if (uri.starts_with(kScheme) && uri.find('/', kScheme.size()) == std::string::npos) {
      return uri.substr(kScheme.size());
    }
  }
  return {};
}

}  // namespace weft::cli
