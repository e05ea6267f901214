// `weft identity`: makes a trust anchor, an issuer and workload certificates (SPIFFE IDs in the
// URI SAN) in csi-driver-spiffe's file layout, and shows what a directory holds. The demo and the
// tests use it; in a cluster, cert-manager does this job.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace weft::cli {

/// Runs `weft identity ARGS...` (the arguments after "identity"). Returns the exit code: 0, 1 when
/// a file or certificate is wrong (the message names the path; show: the certificate does not
/// verify), 64 on bad usage (the message names the flag).
int run_identity(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace weft::cli
