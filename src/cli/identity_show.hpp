// `weft identity show`: what an identity directory holds, for operators and the demo: the
// certificate's SPIFFE ID, server name, issuer, validity, key, and whether it chains to ca.crt.
#pragma once

#include <filesystem>
#include <ostream>

#include "identity_args.hpp"

namespace weft::cli {

/// Prints D/tls.crt (else issuer.crt, else ca.crt). Returns 0 when it verifies against D/ca.crt
/// now and its key (when present) matches, else 1. Throws FileError when nothing can be read.
int show_identity(const std::filesystem::path& dir, Seconds now, std::ostream& out);

}  // namespace weft::cli
