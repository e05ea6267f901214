#include "weft/http/request_policy.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "weft/discovery/retry_conditions.hpp"
#include "weft/http/headers.hpp"

namespace weft::http {
namespace {

enum class PolicyHeader { retry_http, retry_grpc, retry_limit, retry_timeout, timeout, none };

constexpr std::array<std::pair<std::string_view, PolicyHeader>, 5> kHeaders = {{
    {kPolicyHeaderNames[0], PolicyHeader::retry_http},
    {kPolicyHeaderNames[1], PolicyHeader::retry_grpc},
    {kPolicyHeaderNames[2], PolicyHeader::retry_limit},
    {kPolicyHeaderNames[3], PolicyHeader::retry_timeout},
    {kPolicyHeaderNames[4], PolicyHeader::timeout},
}};

// A header limit above this is refused: each retry is another request to the service.
constexpr std::uint64_t kMaxRetryLimit = 10;

PolicyHeader policy_header(std::string_view name) noexcept {
  // Most fields are not ours: one comparison rejects them.
  if (name.size() < 12 || (name[0] != 'w' && name[0] != 'W')) return PolicyHeader::none;
  for (const auto& [header, kind] : kHeaders) {
    if (iequals(name, header)) return kind;
  }
  return PolicyHeader::none;
}

discovery::RetryPolicy& retry_of(RequestPolicy& policy) {
  return policy.retry.own();
}

bool apply(RequestPolicy& policy, PolicyHeader kind, std::string_view value) {
  switch (kind) {
    case PolicyHeader::retry_http: {
      discovery::RetryConditions parsed;
      if (!discovery::parse_http_conditions(value, parsed)) return false;
      retry_of(policy).on.http = std::move(parsed.http);
      return true;
    }
    case PolicyHeader::retry_grpc: {
      discovery::RetryConditions parsed;
      if (!discovery::parse_grpc_conditions(value, parsed)) return false;
      retry_of(policy).on.grpc_mask = parsed.grpc_mask;
      return true;
    }
    case PolicyHeader::retry_limit: {
      const auto limit = core::parse_uint(value, 0, kMaxRetryLimit);
      if (!limit) return false;
      retry_of(policy).limit = static_cast<std::uint32_t>(*limit);
      return true;
    }
    case PolicyHeader::retry_timeout: {
      const auto d = core::parse_duration(value);
      if (!d) return false;
      retry_of(policy).per_try_timeout = *d;
      return true;
    }
    case PolicyHeader::timeout: {
      const auto d = core::parse_duration(value);
      if (!d) return false;
      policy.timeout = *d;
      return true;
    }
    case PolicyHeader::none: break;
  }
  return false;
}

}  // namespace

RequestPolicy policy_for(const discovery::Route* route) noexcept {
  if (route == nullptr) return {};
  return RequestPolicy{route->timeout, route->idle_timeout,
                       RetryRef(route->retry ? &*route->retry : nullptr)};
}

bool is_policy_header(std::string_view name) noexcept {
  return policy_header(name) != PolicyHeader::none;
}

bool is_proxy_request_header(std::string_view name) noexcept {
  return is_policy_header(name) || iequals(name, kClientIdHeader);
}

bool apply_policy_header(RequestPolicy& policy, std::string_view name, std::string_view value) {
  const PolicyHeader kind = policy_header(name);
  if (kind == PolicyHeader::none) return false;
  if (apply(policy, kind, value)) return true;
  spdlog::debug("ignoring {}: \"{}\" is not a valid value", name, value);
  return false;
}

}  // namespace weft::http
