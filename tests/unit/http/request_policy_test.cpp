// Unit tests for a request's policy: the route's values, and the weft-* override headers (each
// header, case-insensitive names, bad values ignored with the route's value kept).
#include "weft/http/request_policy.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace weft::http {
namespace {

using namespace std::chrono_literals;
using Ranges = std::vector<std::pair<std::uint16_t, std::uint16_t>>;

constexpr std::uint32_t bit(int code) { return std::uint32_t{1} << code; }

discovery::Route retrying_route() {
  discovery::Route route;
  route.name = "GET /api/";
  route.timeout = 2s;
  route.idle_timeout = 30s;
  discovery::RetryPolicy retry;
  retry.on.http = {{502, 504}};
  retry.on.grpc_mask = bit(14);
  retry.limit = 2;
  retry.per_try_timeout = 500ms;
  route.retry = retry;
  return route;
}

TEST(RequestPolicy, NoRouteMeansNoTimeoutAndNoRetry) {
  const RequestPolicy p = policy_for(nullptr);
  EXPECT_EQ(p.timeout, 0ms);
  EXPECT_EQ(p.idle_timeout, 0ms);
  EXPECT_FALSE(p.retry);
}

TEST(RequestPolicy, TakesTheRoutesValues) {
  const discovery::Route route = retrying_route();
  const RequestPolicy p = policy_for(&route);
  EXPECT_EQ(p.timeout, 2s);
  EXPECT_EQ(p.idle_timeout, 30s);
  ASSERT_TRUE(p.retry);
  EXPECT_EQ(p.retry->on.http, (Ranges{{502, 504}}));
  EXPECT_EQ(p.retry->on.grpc_mask, bit(14));
  EXPECT_EQ(p.retry->limit, 2u);
  EXPECT_EQ(p.retry->per_try_timeout, 500ms);

  discovery::Route plain;
  plain.timeout = 1s;
  EXPECT_FALSE(policy_for(&plain).retry);
  EXPECT_EQ(policy_for(&plain).timeout, 1s);
}

TEST(RequestPolicy, RecognizesTheFiveHeadersCaseInsensitively) {
  for (const char* name : {"weft-retry-http", "weft-retry-grpc", "weft-retry-limit",
                           "weft-retry-timeout", "weft-timeout", "Weft-Retry-Limit", "WEFT-TIMEOUT",
                           "wEfT-rEtRy-HtTp"}) {
    EXPECT_TRUE(is_policy_header(name)) << name;
  }
  for (const char* name : {"", "weft", "weft-retry", "weft-timeouts", "x-weft-timeout",
                           "weft-retry-limit ", "l5d-retry-limit", "content-type",
                           "weft-proxy-error"}) {
    EXPECT_FALSE(is_policy_header(name)) << name;
  }
}

TEST(RequestPolicy, RetryHttpReplacesTheStatusesAndKeepsTheGrpcCodes) {
  const discovery::Route route = retrying_route();
  RequestPolicy p = policy_for(&route);
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-http", "5xx,429"));
  ASSERT_TRUE(p.retry);
  for (unsigned status : {429u, 500u, 503u, 599u}) EXPECT_TRUE(p.retry->on.retries_http(status));
  for (unsigned status : {200u, 428u, 430u, 499u}) EXPECT_FALSE(p.retry->on.retries_http(status));
  EXPECT_EQ(p.retry->on.grpc_mask, bit(14));
  EXPECT_EQ(p.retry->limit, 2u);
  EXPECT_TRUE(apply_policy_header(p, "Weft-Retry-Http", "gateway-error,500-501"));
  for (unsigned status : {500u, 501u, 502u, 504u}) EXPECT_TRUE(p.retry->on.retries_http(status));
  for (unsigned status : {429u, 505u, 599u}) EXPECT_FALSE(p.retry->on.retries_http(status));
}

TEST(RequestPolicy, RetryGrpcReplacesTheCodesAndKeepsTheStatuses) {
  const discovery::Route route = retrying_route();
  RequestPolicy p = policy_for(&route);
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-grpc", "deadline-exceeded,RESOURCE_EXHAUSTED"));
  EXPECT_EQ(p.retry->on.grpc_mask, bit(4) | bit(8));
  EXPECT_EQ(p.retry->on.http, (Ranges{{502, 504}}));
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-grpc", "cancelled,internal,unavailable"));
  EXPECT_EQ(p.retry->on.grpc_mask, bit(1) | bit(13) | bit(14));
}

TEST(RequestPolicy, ARetryHeaderWithoutARouteRetryAddsLinkerdsDefaults) {
  RequestPolicy p = policy_for(nullptr);
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-http", "503"));
  ASSERT_TRUE(p.retry);
  EXPECT_TRUE(p.retry->on.retries_http(503));
  EXPECT_FALSE(p.retry->on.retries_http(502));
  EXPECT_EQ(p.retry->on.grpc_mask, 0u);
  EXPECT_EQ(p.retry->limit, 1u);
  EXPECT_EQ(p.retry->per_try_timeout, 0ms);

  RequestPolicy q = policy_for(nullptr);
  EXPECT_TRUE(apply_policy_header(q, "weft-retry-limit", "3"));
  ASSERT_TRUE(q.retry);
  EXPECT_TRUE(q.retry->on.empty());  // a limit alone retries nothing
  EXPECT_EQ(q.retry->limit, 3u);
}

TEST(RequestPolicy, RetryLimitFromZeroToTen) {
  const discovery::Route route = retrying_route();
  RequestPolicy p = policy_for(&route);
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-limit", "0"));
  EXPECT_EQ(p.retry->limit, 0u);
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-limit", "10"));
  EXPECT_EQ(p.retry->limit, 10u);
  for (const char* bad : {"11", "-1", "two", "", "1.5", "99999999999999999999"}) {
    EXPECT_FALSE(apply_policy_header(p, "weft-retry-limit", bad)) << bad;
    EXPECT_EQ(p.retry->limit, 10u) << bad;
  }
}

TEST(RequestPolicy, RetryTimeoutIsEachTrysBound) {
  const discovery::Route route = retrying_route();
  RequestPolicy p = policy_for(&route);
  EXPECT_TRUE(apply_policy_header(p, "weft-retry-timeout", "300ms"));
  EXPECT_EQ(p.retry->per_try_timeout, 300ms);
  EXPECT_TRUE(apply_policy_header(p, "WEFT-RETRY-TIMEOUT", "1s"));
  EXPECT_EQ(p.retry->per_try_timeout, 1s);
  for (const char* bad : {"300", "fast", "", "-1s", "1.5s"}) {
    EXPECT_FALSE(apply_policy_header(p, "weft-retry-timeout", bad)) << bad;
    EXPECT_EQ(p.retry->per_try_timeout, 1s) << bad;
  }
  EXPECT_EQ(p.timeout, 2s);  // the whole request's bound is another header
}

TEST(RequestPolicy, TimeoutIsTheWholeRequestsBound) {
  const discovery::Route route = retrying_route();
  RequestPolicy p = policy_for(&route);
  EXPECT_TRUE(apply_policy_header(p, "weft-timeout", "250ms"));
  EXPECT_EQ(p.timeout, 250ms);
  EXPECT_TRUE(apply_policy_header(p, "Weft-Timeout", "1m"));
  EXPECT_EQ(p.timeout, 1min);
  EXPECT_FALSE(apply_policy_header(p, "weft-timeout", "soon"));
  EXPECT_EQ(p.timeout, 1min);
  EXPECT_EQ(p.retry->per_try_timeout, 500ms);
  EXPECT_EQ(p.idle_timeout, 30s);  // no header overrides the idle timeout

  RequestPolicy none = policy_for(nullptr);
  EXPECT_TRUE(apply_policy_header(none, "weft-timeout", "5s"));
  EXPECT_EQ(none.timeout, 5s);
  EXPECT_FALSE(none.retry);  // a timeout header does not add retries
}

TEST(RequestPolicy, BadConditionsLeaveThePolicyUnchanged) {
  const discovery::Route route = retrying_route();
  RequestPolicy p = policy_for(&route);
  for (const char* bad : {"6xx", "5xx,abc", "abc", "5xx;429"}) {
    EXPECT_FALSE(apply_policy_header(p, "weft-retry-http", bad)) << bad;
    EXPECT_EQ(p.retry->on.http, (Ranges{{502, 504}})) << bad;
  }
  for (const char* bad : {"unavailable,nope", "ok", "not-a-code"}) {
    EXPECT_FALSE(apply_policy_header(p, "weft-retry-grpc", bad)) << bad;
    EXPECT_EQ(p.retry->on.grpc_mask, bit(14)) << bad;
  }
  // A bad value on a policy with no retry does not add one.
  RequestPolicy none = policy_for(nullptr);
  EXPECT_FALSE(apply_policy_header(none, "weft-retry-http", "nope"));
  EXPECT_FALSE(apply_policy_header(none, "weft-retry-limit", "42"));
  EXPECT_FALSE(apply_policy_header(none, "weft-retry-timeout", "x"));
  EXPECT_FALSE(none.retry);
}

TEST(RequestPolicy, OtherHeadersAreNotApplied) {
  RequestPolicy p = policy_for(nullptr);
  EXPECT_FALSE(apply_policy_header(p, "l5d-retry-limit", "3"));
  EXPECT_FALSE(apply_policy_header(p, "content-type", "text/plain"));
  EXPECT_FALSE(apply_policy_header(p, "weft-retry", "3"));
  EXPECT_FALSE(p.retry);
  EXPECT_EQ(p.timeout, 0ms);
}

}  // namespace
}  // namespace weft::http
