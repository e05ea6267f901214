// Unit tests for the route families: the exact text of a small case, sums over shards, handle
// reuse and moves, escaping, and expiry with explicit times.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "weft/metrics/route.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

using namespace std::chrono_literals;

const Clock::time_point t0 = Clock::time_point{} + 1h;

std::string render_routes(const Registry& r, Clock::time_point now = t0) {
  std::string out;
  r.render_routes(out, now);
  return out;
}

::testing::AssertionResult has_line(const std::string& text, const std::string& line) {
  if (text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line\n  " << line << "\nin\n" << text;
}

const std::string kHeaders[] = {
    "# HELP route_request_total Total count of HTTP requests per route, retries not counted\n"
    "# TYPE route_request_total counter\n",
    "# HELP route_response_latency_ms Elapsed times between a request's headers being received "
    "and its final response's first body byte, per route, retries included, in milliseconds\n"
    "# TYPE route_response_latency_ms histogram\n",
    "# HELP route_response_total Total count of HTTP responses per route, as the client saw "
    "them\n"
    "# TYPE route_response_total counter\n",
    "# HELP route_actual_request_total Total count of HTTP requests per route, each try counted\n"
    "# TYPE route_actual_request_total counter\n",
    "# HELP route_actual_response_total Total count of HTTP responses per route, each try's "
    "counted\n"
    "# TYPE route_actual_response_total counter\n",
    "# HELP route_retry_requests_total Total count of retries sent per route\n"
    "# TYPE route_retry_requests_total counter\n",
    "# HELP route_retry_skipped_total Total count of retryable failures per route that were not "
    "retried, by reason\n"
    "# TYPE route_retry_skipped_total counter\n",
};

TEST(RouteMetrics, EmptyRegistryRendersHeadersOnly) {
  Registry r(2);
  std::string expected;
  for (const auto& h : kHeaders) expected += h;
  EXPECT_EQ(render_routes(r), expected);
}

// One client request that failed with 503, was retried once and then succeeded; a second that
// failed and could not be retried because the budget was spent.
TEST(RouteMetrics, RendersASmallCaseExactly) {
  Registry r(1);
  auto m = r.shard(0).routes().open("web-svc.emojivoto.svc.cluster.local", "GET /api/");
  ASSERT_TRUE(m);
  m.count_request();
  m.count_actual_request();
  m.count_actual_response({503, -1, Classification::failure, ""});
  m.count_retry();
  m.count_actual_request();
  m.count_actual_response({200, -1, Classification::success, ""});
  m.observe_latency(200, 30ms);  // from the request head, across both tries
  m.count_response({200, -1, Classification::success, ""});
  m.count_request();
  m.count_actual_request();
  m.count_actual_response({503, -1, Classification::failure, ""});
  m.count_retry_skipped(RetrySkip::budget);
  m.observe_latency(503, 2500us);
  m.count_response({503, -1, Classification::failure, ""});

  const std::string l =
      R"(direction="outbound",dst="web-svc.emojivoto.svc.cluster.local",rt_route="GET /api/")";
  constexpr std::array<const char*, 26> kLe = {
      "1",    "2",    "3",    "4",    "5",     "10",    "20",    "30",    "40",
      "50",   "100",  "200",  "300",  "400",   "500",   "1000",  "2000",  "3000",
      "4000", "5000", "10000", "20000", "30000", "40000", "50000", "+Inf"};
  std::string latency;
  for (std::size_t i = 0; i < kLe.size(); ++i) {  // 30 ms falls in le="30"
    latency += "route_response_latency_ms_bucket{" + l + R"(,status_code="200",le=")" + kLe[i] +
               "\"} " + (i >= 7 ? "1" : "0") + "\n";
  }
  latency += "route_response_latency_ms_sum{" + l + R"(,status_code="200"} 30)" + "\n";
  latency += "route_response_latency_ms_count{" + l + R"(,status_code="200"} 1)" + "\n";
  for (std::size_t i = 0; i < kLe.size(); ++i) {  // 2.5 ms falls in le="3"
    latency += "route_response_latency_ms_bucket{" + l + R"(,status_code="503",le=")" + kLe[i] +
               "\"} " + (i >= 2 ? "1" : "0") + "\n";
  }
  latency += "route_response_latency_ms_sum{" + l + R"(,status_code="503"} 2.5)" + "\n";
  latency += "route_response_latency_ms_count{" + l + R"(,status_code="503"} 1)" + "\n";

  const std::string ok = R"(,status_code="200",classification="success",grpc_status="",error=""})";
  const std::string failed =
      R"(,status_code="503",classification="failure",grpc_status="",error=""})";
  const std::string expected =
      kHeaders[0] + "route_request_total{" + l + "} 2\n" +  //
      kHeaders[1] + latency +                                 //
      kHeaders[2] + "route_response_total{" + l + ok + " 1\n" +
      "route_response_total{" + l + failed + " 1\n" +  //
      kHeaders[3] + "route_actual_request_total{" + l + "} 3\n" +
      kHeaders[4] + "route_actual_response_total{" + l + ok + " 1\n" +
      "route_actual_response_total{" + l + failed + " 2\n" +  //
      kHeaders[5] + "route_retry_requests_total{" + l + "} 1\n" +
      kHeaders[6] + "route_retry_skipped_total{" + l + R"(,reason="budget"} 1)" + "\n" +
      "route_retry_skipped_total{" + l + R"(,reason="limit"} 0)" + "\n" +
      "route_retry_skipped_total{" + l + R"(,reason="body"} 0)" + "\n";
  EXPECT_EQ(render_routes(r), expected);
}

TEST(RouteMetrics, SumsOverShardsAndSortsByDstThenRoute) {
  Registry r(2);
  auto a0 = r.shard(0).routes().open("b-svc", "GET /");
  auto a1 = r.shard(1).routes().open("b-svc", "GET /");
  auto other = r.shard(1).routes().open("a-svc", "POST /x");
  auto second = r.shard(0).routes().open("b-svc", "GET /a");
  a0.count_request();
  a1.count_request();
  a1.count_retry();
  a0.count_retry_skipped(RetrySkip::limit);
  a1.count_retry_skipped(RetrySkip::limit);
  a1.count_retry_skipped(RetrySkip::body);
  other.count_request();
  second.count_request();
  const std::string out = render_routes(r);
  const std::string b = R"(direction="outbound",dst="b-svc",rt_route="GET /")";
  EXPECT_TRUE(has_line(out, "route_request_total{" + b + "} 2"));
  EXPECT_TRUE(has_line(out, "route_retry_requests_total{" + b + "} 1"));
  EXPECT_TRUE(has_line(out, "route_retry_skipped_total{" + b + R"(,reason="limit"} 2)"));
  EXPECT_TRUE(has_line(out, "route_retry_skipped_total{" + b + R"(,reason="body"} 1)"));
  EXPECT_LT(out.find(R"(dst="a-svc")"), out.find(R"(rt_route="GET /")"));
  EXPECT_LT(out.find(R"(rt_route="GET /")"), out.find(R"(rt_route="GET /a")"));
}

TEST(RouteMetrics, HandlesMatchMoveAndIgnoreCallsWhenEmpty) {
  Registry r(1);
  RouteMetrics empty;
  EXPECT_FALSE(empty);
  EXPECT_FALSE(empty.matches("", ""));
  empty.count_request();  // no-ops
  empty.count_actual_request();
  empty.count_response({200, -1, Classification::success, ""});
  empty.count_actual_response({200, -1, Classification::success, ""});
  empty.observe_latency(200, 1ms);
  empty.count_retry();
  empty.count_retry_skipped(RetrySkip::body);

  auto m = r.shard(0).routes().open("svc", "GET /");
  EXPECT_TRUE(m.matches("svc", "GET /"));
  EXPECT_FALSE(m.matches("svc", "GET /x"));
  EXPECT_FALSE(m.matches("svc2", "GET /"));
  RouteMetrics moved = std::move(m);
  EXPECT_FALSE(m);  // NOLINT(bugprone-use-after-move): checking the documented state
  EXPECT_TRUE(moved.matches("svc", "GET /"));
  moved.count_request();
  r.shard(0).routes().open("svc", "GET /").count_request();  // the same series
  EXPECT_TRUE(has_line(render_routes(r),
                       R"(route_request_total{direction="outbound",dst="svc",rt_route="GET /"} 2)"));
  EXPECT_EQ(to_string(RetrySkip::budget), "budget");
  EXPECT_EQ(to_string(RetrySkip::limit), "limit");
  EXPECT_EQ(to_string(RetrySkip::body), "body");
}

TEST(RouteMetrics, LabelValuesAreEscaped) {
  Registry r(1);
  r.shard(0).routes().open("svc\"x", "GET /a\\b\n").count_request();
  EXPECT_TRUE(has_line(render_routes(r),
                       R"(route_request_total{direction="outbound",dst="svc\"x",)"
                       R"(rt_route="GET /a\\b\n"} 1)"));
}

TEST(RouteMetrics, IdleSeriesExpireAndHeldOnesStay) {
  Registry r(2, 10min);
  const std::string line = R"(route_request_total{direction="outbound",dst="svc",rt_route="r"})";
  r.shard(0).routes().open("svc", "r").count_request();
  auto held = r.shard(1).routes().open("svc", "held");
  EXPECT_TRUE(has_line(render_routes(r, t0), line + " 1"));
  r.shard(1).routes().open("svc", "r").count_retry();  // a change restarts the period
  EXPECT_TRUE(has_line(render_routes(r, t0 + 9min), line + " 1"));
  EXPECT_TRUE(has_line(render_routes(r, t0 + 18min), line + " 1"));
  const std::string gone = render_routes(r, t0 + 19min);
  EXPECT_EQ(gone.find(R"(rt_route="r")"), std::string::npos) << gone;
  EXPECT_NE(gone.find(R"(rt_route="held")"), std::string::npos) << gone;
  // Counting again starts from zero.
  r.shard(0).routes().open("svc", "r").count_request();
  EXPECT_TRUE(has_line(render_routes(r, t0 + 20min), line + " 1"));
  // The whole exposition carries the route families too.
  EXPECT_NE(r.render(t0 + 20min).find(line + " 1\n"), std::string::npos);
}

}  // namespace
}  // namespace weft::metrics
