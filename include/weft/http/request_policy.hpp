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

#include <array>
#include <optional>
#include <string_view>

#include "weft/core/parse.hpp"
#include "weft/discovery/table.hpp"

namespace weft::http {

/// The retry policy in force for one request: the route's, read in place in the table (which the
/// request keeps alive), or the request's own copy once a weft-retry-* header changed it. So a
/// request whose headers change nothing copies nothing (the route's policy holds a vector).
class RetryRef {
 public:
  RetryRef() = default;
  explicit RetryRef(const discovery::RetryPolicy* route) noexcept : route_(route) {}
  explicit operator bool() const noexcept { return get() != nullptr; }
  const discovery::RetryPolicy* get() const noexcept { return own_ ? &*own_ : route_; }
  const discovery::RetryPolicy* operator->() const noexcept { return get(); }
  const discovery::RetryPolicy& operator*() const noexcept { return *get(); }
  /// The request's own copy to change, made from the route's (or Linkerd's defaults) at first use.
  discovery::RetryPolicy& own() {
    if (!own_) own_ = route_ != nullptr ? *route_ : discovery::RetryPolicy{};
    return *own_;
  }

 private:
  const discovery::RetryPolicy* route_ = nullptr;
  std::optional<discovery::RetryPolicy> own_;
};

struct RequestPolicy {
  core::duration timeout{0};       // whole request; zero: none
  core::duration idle_timeout{0};  // zero: none
  RetryRef retry;
};

/// The override headers' names, lower-case (as HTTP/2 carries them).
inline constexpr std::array<std::string_view, 5> kPolicyHeaderNames = {
    "weft-retry-http", "weft-retry-grpc", "weft-retry-limit", "weft-retry-timeout",
    "weft-timeout"};

/// The route's policy (no route: no timeout, no retries).
RequestPolicy policy_for(const discovery::Route* route) noexcept;

/// Whether `name` is one of the override headers (case-insensitive): those are not forwarded.
bool is_policy_header(std::string_view name) noexcept;

/// `weft-client-id`: the verified SPIFFE ID of an mTLS client, which the inbound proxy adds to
/// the requests it forwards to the application. Only the proxy sets it: a field of that name
/// from anyone else is dropped, so the application can trust it.
inline constexpr std::string_view kClientIdHeader = "weft-client-id";

/// Whether a request field is the proxy's own and never forwarded as received: the weft-*
/// policy fields and weft-client-id.
bool is_proxy_request_header(std::string_view name) noexcept;

/// Applies one override header to `policy`; false when `name` is not one or `value` is bad
/// (then `policy` is unchanged). A retry header on a policy with no retry adds one with
/// Linkerd's defaults (limit 1, no conditions, no per-try timeout) before it applies. The
/// condition headers replace the route's list of their kind and keep the other kind's
/// (weft-retry-http leaves the gRPC codes as they were). Allocates only for weft-retry-http.
bool apply_policy_header(RequestPolicy& policy, std::string_view name, std::string_view value);

// The weft-retry-http and weft-retry-grpc values parse with discovery::parse_http_conditions and
// parse_grpc_conditions (discovery/retry_conditions.hpp), as the destination file's do.

}  // namespace weft::http
