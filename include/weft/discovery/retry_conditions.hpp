// Parsing of retry conditions (which HTTP statuses and gRPC codes make a response worth another
// try), shared by the destination file and the weft-retry-* headers, so that both accept exactly
// the same values (Linkerd's retry.linkerd.io/http and retry.linkerd.io/grpc syntax).
#pragma once

#include <string_view>

#include "weft/discovery/table.hpp"

namespace weft::discovery {

/// "5xx", "gateway-error", "500-504", "429", comma-separated, into `out.http`. False when any
/// item is bad (out unchanged).
bool parse_http_conditions(std::string_view text, RetryConditions& out);
/// "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable" (also the
/// upper-case names with '_'), comma-separated, into `out.grpc_mask`. False when any is bad.
bool parse_grpc_conditions(std::string_view text, RetryConditions& out);

}  // namespace weft::discovery
