// SPIFFE IDs: the syntax checks of the SPIFFE spec (spiffe-id.md) and weft's workload IDs,
// `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`, with the TLS server name (SNI) derived from them.
// Used by the identity store (the local certificate's URI SAN), the handshakes (the peer's URI
// SAN, the expected identity from discovery) and `weft identity`.
#pragma once

#include <string>
#include <string_view>

#include "weft/core/result.hpp"

namespace weft::tls {

/// A weft workload identity: `spiffe://<trust_domain>/ns/<ns>/sa/<sa>`.
struct WorkloadId {
  std::string uri;  ///< the whole ID as given; parsing accepts only the canonical form
  std::string trust_domain;
  std::string ns;
  std::string sa;

  /// The DNS name that stands for this identity in SNI:
  /// `<sa>.<ns>.serviceaccount.identity.<trust_domain>`. Verification is always against the URI
  /// SAN, so no certificate needs this name as a DNS SAN.
  std::string server_name() const;

  bool operator==(const WorkloadId&) const = default;
};

/// Why `td` is not a SPIFFE trust domain, or "" when it is: [a-z0-9._-]+, at most 255 bytes.
std::string trust_domain_problem(std::string_view td);

/// Why `uri` is not a SPIFFE ID by the spec's rules, or "" when it is. A trust-domain-only ID
/// (`spiffe://example.org`) is a valid SPIFFE ID.
std::string spiffe_id_problem(std::string_view uri);

/// Why `uri` is not a weft workload ID, or "" when it is: a SPIFFE ID whose path is exactly
/// /ns/<ns>/sa/<sa>, with Kubernetes names, whose server name is a valid DNS name. A human
/// reason, e.g. "trust domain has an upper-case letter".
std::string workload_id_problem(std::string_view uri);

/// Parses a weft workload ID. Errors: errc::bad_certificate (workload_id_problem says why).
result<WorkloadId> parse_workload_id(std::string_view uri);

}  // namespace weft::tls
