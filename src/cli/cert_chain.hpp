// Checking a certificate the way a peer will: its chain to the trust anchors (X509_verify_cert),
// its key, and names and times for people. Used by `weft identity show` and, before it signs,
// by `weft identity issue` (is the issuer really under ca.crt?).
#pragma once

#include <string>
#include <vector>

#include "identity_args.hpp"
#include "weft/tls/x509.hpp"

namespace weft::cli {

struct ChainCheck {
  std::string problem;  ///< "" when it verifies, else OpenSSL's reason ("certificate has expired")
  std::string anchor;   ///< the subject of the trust anchor it chains to, when it does
};

/// Verifies `cert` against `anchors`, with `intermediates` as untrusted helpers, at the current
/// time, or ignoring validity periods when `check_time` is false.
ChainCheck check_chain(X509* cert, const std::vector<tls::X509Ptr>& intermediates,
                       const std::vector<tls::X509Ptr>& anchors, bool check_time = true);

/// A name as RFC 2253 text ("CN=weft trust anchor cluster.local"); "" for an empty name.
std::string name_text(const X509_NAME* name);

/// "EC prime256v1", "RSA 2048", for the certificate's public key.
std::string key_description(const X509* cert);

/// The certificate's validity in whole seconds.
Validity validity_of(const X509* cert);

/// A span for people: "3d4h", "23h59m", "5m", "42s".
std::string format_span(std::chrono::seconds span);

}  // namespace weft::cli
