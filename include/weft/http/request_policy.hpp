// What applies to one request: its route's timeouts and retries, overridden per request by the
// weft-* request headers (Linkerd's l5d-retry-* and l5d-timeout, under our names), which the
// proxy strips before it forwards the request:
//   weft-retry-http: 5xx,429,502-504,gateway-error   statuses to retry
//   weft-retry-grpc: unavailable,deadline-exceeded     gRPC codes to retry
//   weft-retry-limit: 2                                retries after the first try
//   weft-retry-timeout: 300ms                          each try's bound
//   weft-timeout: 2s                                   the whole request's bound
// A header with a bad value is ignored (logged at debug) and the route's value stays.
#pragma once

#include <optional>
#include <string_view>

#include "weft/core/parse.hpp"
#include "weft/discovery/table.hpp"

namespace weft::http {

struct RequestPolicy {
  core::duration timeout{0};       // whole request; zero: none
  core::duration idle_timeout{0};  // zero: none
  std::optional<discovery::RetryPolicy> retry;
};

/// The route's policy (no route: no timeout, no retries).
RequestPolicy policy_for(const discovery::Route* route) noexcept;

/// Whether `name` is one of the override headers (case-insensitive): those are not forwarded.
bool is_policy_header(std::string_view name) noexcept;

/// Applies one override header to `policy`; false when `name` is not one or `value` is bad.
bool apply_policy_header(RequestPolicy& policy, std::string_view name, std::string_view value);

// The weft-retry-http and weft-retry-grpc values parse with discovery::parse_http_conditions and
// parse_grpc_conditions (discovery/retry_conditions.hpp), as the destination file's do.

}  // namespace weft::http
