// Certificates for `weft identity`, built with OpenSSL's C API: ECDSA P-256 keys, a trust anchor
// (self-signed root), an issuer (intermediate CA, pathlen 0) and workload certificates whose URI
// SAN is a SPIFFE ID (the X509-SVID profile: no DNS SAN, CA:FALSE, digitalSignature, server and
// client auth). OpenSSL failures throw std::runtime_error: this is a command, not the data path.
#pragma once

#include <string>

#include "identity_args.hpp"
#include "weft/tls/x509.hpp"

namespace weft::cli {

enum class CertKind { trust_anchor, issuer, workload };

struct CertSpec {
  CertKind kind = CertKind::workload;
  std::string common_name;  ///< the subject's CN; empty: an empty subject (the SAN goes critical)
  std::string uri_san;      ///< a URI SAN ("spiffe://..."); empty: none
  Validity validity;
};

/// A new ECDSA P-256 key.
tls::EvpPkeyPtr make_p256_key();

/// A certificate for `key`'s public half, signed by `signer_key` on behalf of `signer` (its
/// issuer name and key identifier); a trust anchor is signed by `key` itself and `signer` is
/// unused. The serial number is 127 random bits (positive, 16 bytes in DER).
tls::X509Ptr make_certificate(const CertSpec& spec, EVP_PKEY* key, X509* signer,
                              EVP_PKEY* signer_key);

/// PEM text of a certificate, and of a private key as PKCS#8 ("BEGIN PRIVATE KEY").
std::string cert_pem(X509* cert);
std::string key_pkcs8_pem(EVP_PKEY* key);

/// The trust domain of a CA certificate's `spiffe://<td>` URI SAN; "" when it has none.
std::string ca_trust_domain(const X509* cert);

}  // namespace weft::cli
