// The pod's workload identity as the proxy uses it: the certificate, key and trust anchors from
// the identity files, checked, and the two TLS contexts built from them (inbound accepts with a
// requested client certificate; outbound connects presenting ours). An Identity is immutable:
// a rotation builds a new one and publishes it, and connections keep the one they started with.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "weft/core/published.hpp"
#include "weft/tls/spiffe.hpp"
#include "weft/tls/x509.hpp"

namespace weft::tls {

/// The identity files' contents (csi-driver-spiffe's layout): tls.crt (leaf, then
/// intermediates), tls.key, and the trust anchors (ca.crt, or WEFT_PROXY_IDENTITY_TRUST_ANCHORS).
struct IdentityFiles {
  std::string cert_pem;
  std::string key_pem;
  std::string anchors_pem;
};

struct Identity {
  WorkloadId id;            // from the leaf's one URI SAN
  std::string server_name;  // id.server_name(): our SNI, what peers connect to
  std::chrono::system_clock::time_point not_after;
  SslCtxPtr server_ctx;  // inbound: TLS 1.3, client certificate requested and verified
  SslCtxPtr client_ctx;  // outbound: TLS 1.3, server verified, ours presented
};
using IdentityPtr = std::shared_ptr<const Identity>;
using IdentityStore = core::Published<Identity>;  // empty until the first good files

/// Checks the files and builds the contexts. Refused, with a message for the log: a key that is
/// not the leaf's, a leaf without exactly one URI SAN that is a weft workload ID, a chain that
/// does not verify to the anchors at `now` (expired, not yet valid, another CA).
boost::system::result<IdentityPtr, std::string> make_identity(
    const IdentityFiles& files, std::chrono::system_clock::time_point now);

}  // namespace weft::tls
