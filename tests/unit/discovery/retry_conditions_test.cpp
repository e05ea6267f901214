// The retry condition words (Linkerd's retry.linkerd.io/http and /grpc) and what they match.
#include "weft/discovery/retry_conditions.hpp"

#include <gtest/gtest.h>

namespace weft::discovery {
namespace {

using Ranges = std::vector<std::pair<std::uint16_t, std::uint16_t>>;

TEST(DiscoveryRetryConditions, ParsesHttpClassesRangesAndCodes) {
  RetryConditions c;
  ASSERT_TRUE(parse_http_conditions("5xx, gateway-error ,500-504,429", c));
  EXPECT_EQ(c.http, (Ranges{{500, 599}, {502, 504}, {500, 504}, {429, 429}}));
  ASSERT_TRUE(parse_http_conditions("4XX,Gateway-Error,500 - 501", c));
  EXPECT_EQ(c.http, (Ranges{{400, 499}, {502, 504}, {500, 501}}));
  ASSERT_TRUE(parse_http_conditions("100,599,1xx", c));
  EXPECT_EQ(c.http, (Ranges{{100, 100}, {599, 599}, {100, 199}}));
}

TEST(DiscoveryRetryConditions, HttpReplacesOnlyTheStatusesAndEmptyClearsThem) {
  RetryConditions c;
  c.grpc_mask = 1U << 14;
  ASSERT_TRUE(parse_http_conditions("503", c));
  ASSERT_TRUE(parse_http_conditions("502", c));
  EXPECT_EQ(c.http, (Ranges{{502, 502}}));
  EXPECT_EQ(c.grpc_mask, 1U << 14);
  ASSERT_TRUE(parse_http_conditions("  ", c));
  EXPECT_TRUE(c.http.empty());
}

TEST(DiscoveryRetryConditions, RejectsBadHttpItemsAndKeepsTheOldValue) {
  RetryConditions c;
  ASSERT_TRUE(parse_http_conditions("503", c));
  for (const char* bad :
       {"6xx", "0xx", "5x", "5xxx", "99", "600", "504-500", "500-", "-500", "5xx,", ",5xx",
        "5xx,,429", "gateway", "500-600", "abc", "50 3", "+500", "5xx;429"}) {
    EXPECT_FALSE(parse_http_conditions(bad, c)) << bad;
    EXPECT_EQ(c.http, (Ranges{{503, 503}})) << bad;
  }
}

TEST(DiscoveryRetryConditions, ParsesGrpcNamesInEitherSpelling) {
  RetryConditions c;
  ASSERT_TRUE(parse_grpc_conditions(
      "cancelled,deadline-exceeded,internal,resource-exhausted,unavailable", c));
  EXPECT_EQ(c.grpc_mask, (1U << 1) | (1U << 4) | (1U << 8) | (1U << 13) | (1U << 14));
  ASSERT_TRUE(parse_grpc_conditions(" DEADLINE_EXCEEDED , Unavailable", c));
  EXPECT_EQ(c.grpc_mask, (1U << 4) | (1U << 14));
  ASSERT_TRUE(parse_grpc_conditions("", c));
  EXPECT_EQ(c.grpc_mask, 0U);
}

TEST(DiscoveryRetryConditions, RejectsUnknownGrpcNamesAndKeepsTheOldValue) {
  RetryConditions c;
  c.http = {{500, 599}};
  ASSERT_TRUE(parse_grpc_conditions("unavailable", c));
  for (const char* bad : {"not-found", "14", "unavailable,", "canceled", "deadline exceeded",
                          "unavailable,unknown", "data-loss"}) {
    EXPECT_FALSE(parse_grpc_conditions(bad, c)) << bad;
    EXPECT_EQ(c.grpc_mask, 1U << 14) << bad;
  }
  EXPECT_EQ(c.http, (Ranges{{500, 599}}));
}

TEST(DiscoveryRetryConditions, MatchesStatusesAndCodes) {
  RetryConditions c;
  ASSERT_TRUE(parse_http_conditions("gateway-error,429", c));
  ASSERT_TRUE(parse_grpc_conditions("unavailable,cancelled", c));
  EXPECT_FALSE(c.empty());
  for (unsigned s : {429U, 502U, 503U, 504U}) EXPECT_TRUE(c.retries_http(s)) << s;
  for (unsigned s : {200U, 428U, 430U, 500U, 501U, 505U, 0U, 70000U}) {
    EXPECT_FALSE(c.retries_http(s)) << s;
  }
  EXPECT_TRUE(c.retries_grpc(14));
  EXPECT_TRUE(c.retries_grpc(1));
  for (int code : {0, 2, 4, 13, 15, -1, 32, 1000}) EXPECT_FALSE(c.retries_grpc(code)) << code;
  EXPECT_TRUE(RetryConditions{}.empty());
}

}  // namespace
}  // namespace weft::discovery
