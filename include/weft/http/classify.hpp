// Response classification for success rate, as Linkerd >= 2.14 does it (linkerd-compat §8.3):
// HTTP 5xx is a failure; a gRPC response is a failure only for DATA_LOSS, DEADLINE_EXCEEDED,
// INTERNAL, PERMISSION_DENIED, UNAVAILABLE and UNKNOWN, or when it ends with no grpc-status at
// all; a stream or transport error is a failure. Pure functions, no allocation.
#pragma once

#include <optional>
#include <string_view>

#include "weft/metrics/http.hpp"

namespace weft::http {

/// Whether a content-type names gRPC ("application/grpc", "application/grpc+proto", ...).
bool is_grpc_content_type(std::string_view content_type) noexcept;

/// The value of a grpc-status field (0..16, and any other non-negative integer), or nullopt
/// when it is not a number.
std::optional<int> parse_grpc_status(std::string_view value) noexcept;

/// Whether a gRPC status counts as a failure (the six codes above). A value outside 0..16 is
/// UNKNOWN, as gRPC clients read it, so it fails too.
bool is_grpc_failure(int grpc_status) noexcept;

/// The classification of a response. `grpc`: the request was gRPC; `grpc_status`: -1 when the
/// response ended with none; `stream_error`: the response did not end cleanly.
metrics::Classification classify(unsigned http_status, bool grpc, int grpc_status,
                                 bool stream_error) noexcept;

}  // namespace weft::http
