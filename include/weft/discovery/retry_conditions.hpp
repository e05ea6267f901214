// The words that say which responses are worth another try, as Linkerd's retry.linkerd.io/http
// and retry.linkerd.io/grpc annotations spell them. One parser for both places that take them:
// the destination file's `retry:` (discovery/file_source.hpp) and the weft-retry-http and
// weft-retry-grpc request headers (http/request_policy.hpp).
#pragma once

#include <string_view>

#include "weft/discovery/table.hpp"

namespace weft::discovery {

/// "5xx", "gateway-error", "500-504", "429", comma-separated (whitespace around items ignored,
/// "1xx".."5xx" and gateway-error case-insensitive), statuses 100 to 599. On success replaces
/// `out.http` (an empty text clears it) and leaves `out.grpc_mask` alone; false when any item
/// is bad, with `out` unchanged.
bool parse_http_conditions(std::string_view text, RetryConditions& out);

/// "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
/// comma-separated, case-insensitive, '_' accepted for '-' (so the upper-case gRPC names, such
/// as DEADLINE_EXCEEDED, work too). On success replaces `out.grpc_mask` (an empty text clears
/// it) and leaves `out.http` alone; false when any name is bad, with `out` unchanged.
bool parse_grpc_conditions(std::string_view text, RetryConditions& out);

}  // namespace weft::discovery
