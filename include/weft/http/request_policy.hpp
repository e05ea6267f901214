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

/// "5xx", "gateway-error", "500-504", "429", comma-separated, into `out.http`. False when any
/// item is bad (out unchanged).
bool parse_http_conditions(std::string_view text, discovery::RetryConditions& out);
/// "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable" (also the
/// upper-case names with '_'), comma-separated, into `out.grpc_mask`. False when any is bad.
bool parse_grpc_conditions(std::string_view text, discovery::RetryConditions& out);

}  // namespace weft::http
