// Unit tests for the golden HTTP families: exact lines and label order, sums over shards, handle
// reuse, inbound ignoring the authority, expiry with explicit times (HTTP and tcp_*).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "weft/metrics/http.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

namespace asio = boost::asio;
using asio::ip::make_address;
using asio::ip::tcp;
using namespace std::chrono_literals;

HttpTarget outbound(std::string_view authority, const char* ip = "10.0.0.2",
                    unsigned short port = 8080) {
  return HttpTarget{Direction::outbound, authority, tcp::endpoint(make_address(ip), port),
                    TlsRef::no_identity("not_provided_by_service_discovery")};
}

HttpTarget inbound(std::string_view authority, const char* ip = "127.0.0.1",
                   unsigned short port = 80) {
  return HttpTarget{Direction::inbound, authority, tcp::endpoint(make_address(ip), port),
                    TlsRef::no_identity("no_tls_from_remote")};
}

std::string render_http(const Registry& r, Clock::time_point now = Clock::now()) {
  std::string out;
  r.render_http(out, now);
  return out;
}

// Whether `text` has `line` as a whole line.
::testing::AssertionResult has_line(const std::string& text, const std::string& line) {
  if (text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line\n  " << line << "\nin\n" << text;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

const std::string kOut =
    R"(direction="outbound",authority="web.default.svc.cluster.local:8080",target_addr="10.0.0.2:8080",)"
    R"(target_ip="10.0.0.2",target_port="8080",tls="no_identity",)"
    R"(no_tls_reason="not_provided_by_service_discovery")";
const std::string kIn =
    R"(direction="inbound",target_addr="127.0.0.1:80",target_ip="127.0.0.1",target_port="80",)"
    R"(tls="no_identity",no_tls_reason="no_tls_from_remote")";

constexpr const char* kEmpty =
    "# HELP request_total Total count of HTTP requests\n"
    "# TYPE request_total counter\n"
    "# HELP response_latency_ms Elapsed times between a request's headers being received and its "
    "response's first body byte (or its end, with no body), in milliseconds\n"
    "# TYPE response_latency_ms histogram\n"
    "# HELP response_total Total count of HTTP responses\n"
    "# TYPE response_total counter\n"
    "# HELP inbound_http_errors_total HTTP requests the proxy answered itself because of an error\n"
    "# TYPE inbound_http_errors_total counter\n"
    "inbound_http_errors_total{error=\"connect\"} 0\n"
    "inbound_http_errors_total{error=\"timeout\"} 0\n"
    "inbound_http_errors_total{error=\"i/o\"} 0\n"
    "inbound_http_errors_total{error=\"bad request\"} 0\n"
    "inbound_http_errors_total{error=\"gateway loop\"} 0\n"
    "inbound_http_errors_total{error=\"unavailable\"} 0\n"
    "inbound_http_errors_total{error=\"unexpected\"} 0\n"
    "inbound_http_errors_total{error=\"failfast\"} 0\n"
    "inbound_http_errors_total{error=\"loadshed\"} 0\ninbound_http_errors_total{error=\"tls\"} 0\n"
    "# HELP outbound_http_errors_total HTTP requests the proxy answered itself because of an "
    "error\n"
    "# TYPE outbound_http_errors_total counter\n"
    "outbound_http_errors_total{error=\"connect\"} 0\n"
    "outbound_http_errors_total{error=\"timeout\"} 0\n"
    "outbound_http_errors_total{error=\"i/o\"} 0\n"
    "outbound_http_errors_total{error=\"bad request\"} 0\n"
    "outbound_http_errors_total{error=\"gateway loop\"} 0\n"
    "outbound_http_errors_total{error=\"unavailable\"} 0\n"
    "outbound_http_errors_total{error=\"unexpected\"} 0\n"
    "outbound_http_errors_total{error=\"failfast\"} 0\n"
    "outbound_http_errors_total{error=\"loadshed\"} 0\noutbound_http_errors_total{error=\"tls\"} 0\n";

TEST(HttpMetrics, EmptyRegistryRendersHeadersAndEveryErrorKind) {
  Registry r(2);
  EXPECT_EQ(render_http(r), kEmpty);
}

TEST(HttpMetrics, RendersLinkerdLinesInLabelOrder) {
  Registry r(1);
  auto route = r.shard(0).http().open_route(outbound("web.default.svc.cluster.local:8080"));
  ASSERT_TRUE(route);
  route.count_request();
  route.count_request();
  route.observe_latency(200, 1500us);  // 1.5 ms: first in le="2"
  route.observe_latency(200, 1ms);     // exactly on a bound: le="1"
  route.count_response({200, -1, Classification::success, ""});
  route.count_response({503, -1, Classification::failure, ""});
  route.count_response({200, 14, Classification::failure, ""});
  route.count_response({0, -1, Classification::failure, "h2(PROTOCOL_ERROR)"});

  const std::string out = render_http(r);
  EXPECT_TRUE(has_line(out, "request_total{" + kOut + "} 2"));
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kOut + R"(,status_code="200",le="1"} 1)"));
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kOut + R"(,status_code="200",le="2"} 2)"));
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kOut + R"(,status_code="200",le="50000"} 2)"));
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kOut + R"(,status_code="200",le="+Inf"} 2)"));
  EXPECT_TRUE(has_line(out, "response_latency_ms_sum{" + kOut + R"(,status_code="200"} 2.5)"));
  EXPECT_TRUE(has_line(out, "response_latency_ms_count{" + kOut + R"(,status_code="200"} 2)"));
  EXPECT_EQ(count_of(out, "response_latency_ms_bucket{"), 26u);  // 25 bounds and +Inf
  EXPECT_TRUE(has_line(
      out, "response_total{" + kOut +
               R"(,status_code="200",classification="success",grpc_status="",error=""} 1)"));
  EXPECT_TRUE(has_line(
      out, "response_total{" + kOut +
               R"(,status_code="200",classification="failure",grpc_status="14",error=""} 1)"));
  EXPECT_TRUE(has_line(
      out, "response_total{" + kOut +
               R"(,status_code="503",classification="failure",grpc_status="",error=""} 1)"));
  // No response head: no status_code label, as Linkerd renders stream errors.
  EXPECT_TRUE(has_line(
      out, "response_total{" + kOut +
               R"x(,classification="failure",grpc_status="",error="h2(PROTOCOL_ERROR)"} 1)x"));
  // Family order: request_total, response_latency_ms, response_total, then the error families.
  EXPECT_LT(out.find("request_total{"), out.find("response_latency_ms_bucket{"));
  EXPECT_LT(out.find("response_latency_ms_count{"), out.find("response_total{"));
  EXPECT_LT(out.find("response_total{"), out.find("inbound_http_errors_total{"));
}

TEST(HttpMetrics, BucketBoundsAreLinkerds) {
  Registry r(1);
  auto route = r.shard(0).http().open_route(inbound(""));
  route.observe_latency(200, 49'999ms);
  route.observe_latency(200, 50'001ms);
  route.observe_latency(200, -5ms);  // a clock step: counted as 0
  const std::string out = render_http(r);
  std::string les;
  for (auto pos = out.find("le=\""); pos != std::string::npos; pos = out.find("le=\"", pos + 1)) {
    les += out.substr(pos + 4, out.find('"', pos + 4) - pos - 4) + ",";
  }
  EXPECT_EQ(les,
            "1,2,3,4,5,10,20,30,40,50,100,200,300,400,500,1000,2000,3000,4000,5000,10000,20000,"
            "30000,40000,50000,+Inf,");
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kIn + R"(,status_code="200",le="40000"} 1)"));
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kIn + R"(,status_code="200",le="50000"} 2)"));
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kIn + R"(,status_code="200",le="+Inf"} 3)"));
  EXPECT_TRUE(has_line(out, "response_latency_ms_sum{" + kIn + R"(,status_code="200"} 1e+05)"));
}

TEST(HttpMetrics, SumsOverShardsPerLabelSet) {
  Registry r(3);
  const auto target = outbound("web.default.svc.cluster.local:8080");
  auto a = r.shard(0).http().open_route(target);
  auto b = r.shard(2).http().open_route(target);
  auto other = r.shard(1).http().open_route(outbound("api:80", "10.0.0.3", 80));
  for (auto* route : {&a, &b, &b}) {
    route->count_request();
    route->observe_latency(204, 3ms);
    route->count_response({204, -1, Classification::success, ""});
  }
  other.count_request();
  r.shard(0).http().count_error(Direction::outbound, HttpErrorKind::connect);
  r.shard(1).http().count_error(Direction::outbound, HttpErrorKind::connect);
  r.shard(2).http().count_error(Direction::inbound, HttpErrorKind::bad_request);

  const std::string out = render_http(r);
  EXPECT_TRUE(has_line(out, "request_total{" + kOut + "} 3"));
  EXPECT_EQ(count_of(out, "request_total{"), 2u);
  EXPECT_TRUE(
      has_line(out, "response_latency_ms_bucket{" + kOut + R"(,status_code="204",le="3"} 3)"));
  EXPECT_TRUE(has_line(out, "response_latency_ms_sum{" + kOut + R"(,status_code="204"} 9)"));
  EXPECT_TRUE(has_line(
      out, "response_total{" + kOut +
               R"(,status_code="204",classification="success",grpc_status="",error=""} 3)"));
  EXPECT_TRUE(has_line(out, R"(outbound_http_errors_total{error="connect"} 2)"));
  EXPECT_TRUE(has_line(out, R"(inbound_http_errors_total{error="bad request"} 1)"));
  EXPECT_TRUE(has_line(out, R"(inbound_http_errors_total{error="connect"} 0)"));
}

TEST(HttpMetrics, MatchesLetsAConnectionReuseItsHandle) {
  Registry r(1);
  auto& http = r.shard(0).http();
  HttpRoute empty;
  EXPECT_FALSE(empty);
  EXPECT_FALSE(empty.matches(outbound("a:80")));
  empty.count_request();  // no-op
  empty.count_response({200, -1, Classification::success, ""});

  auto out_a = http.open_route(outbound("a:80"));
  EXPECT_TRUE(out_a.matches(outbound("a:80")));
  EXPECT_FALSE(out_a.matches(outbound("b:80")));
  EXPECT_FALSE(out_a.matches(outbound("a:80", "10.0.0.9")));
  EXPECT_FALSE(out_a.matches(outbound("a:80", "10.0.0.2", 9090)));
  auto other_tls = outbound("a:80");
  other_tls.tls = TlsRef::no_identity("loopback");
  EXPECT_FALSE(out_a.matches(other_tls));
  EXPECT_FALSE(out_a.matches(inbound("a:80", "10.0.0.2", 8080)));

  auto in = http.open_route(inbound("x"));
  EXPECT_TRUE(in.matches(inbound("y")));  // inbound ignores the authority
  EXPECT_TRUE(in.matches(inbound("")));

  // Moving keeps the series; the moved-from handle is empty.
  HttpRoute moved = std::move(out_a);
  EXPECT_FALSE(out_a);  // NOLINT(bugprone-use-after-move): checking the documented state
  EXPECT_TRUE(moved.matches(outbound("a:80")));
  moved.count_request();
  auto again = http.open_route(outbound("a:80"));
  again.count_request();
  EXPECT_TRUE(
      has_line(render_http(r),
               R"(request_total{direction="outbound",authority="a:80",target_addr="10.0.0.2:8080",)"
               R"(target_ip="10.0.0.2",target_port="8080",tls="no_identity",)"
               R"(no_tls_reason="not_provided_by_service_discovery"} 2)"));
}

TEST(HttpMetrics, InboundIgnoresTheAuthority) {
  Registry r(1);
  auto a = r.shard(0).http().open_route(inbound("a.example:80"));
  auto b = r.shard(0).http().open_route(inbound("b.example:80"));
  a.count_request();
  b.count_request();
  const std::string out = render_http(r);
  EXPECT_TRUE(has_line(out, "request_total{" + kIn + "} 2"));
  EXPECT_EQ(count_of(out, "authority="), 0u);
}

TEST(HttpMetrics, GrpcStatusesBeyondTheKnownCodesCountAsUnknown) {
  Registry r(1);
  auto route = r.shard(0).http().open_route(inbound(""));
  for (int code : {17, 99, 123456789, 2}) {
    route.count_response({200, code, Classification::failure, ""});
  }
  const std::string out = render_http(r);
  EXPECT_TRUE(has_line(
      out, "response_total{" + kIn +
               R"(,status_code="200",classification="failure",grpc_status="2",error=""} 4)"))
      << out;
  EXPECT_EQ(count_of(out, "response_total{"), 1u);
}

TEST(HttpMetrics, LabelValuesAreEscaped) {
  Registry r(1);
  auto route = r.shard(0).http().open_route(outbound("evil\"\n\\host"));
  route.count_request();
  EXPECT_NE(render_http(r).find(R"(authority="evil\"\n\\host")"), std::string::npos);
}

TEST(HttpMetrics, IdleSeriesExpireAfterTheRetainPeriod) {
  Registry r(2, 10min);
  const auto t0 = Clock::time_point{} + 1h;
  {
    auto route = r.shard(1).http().open_route(inbound(""));
    route.count_request();
    route.count_response({200, -1, Classification::success, ""});
  }
  EXPECT_TRUE(has_line(render_http(r, t0), "request_total{" + kIn + "} 1"));
  EXPECT_TRUE(has_line(render_http(r, t0 + 9min), "request_total{" + kIn + "} 1"));
  // A new count restarts the period.
  r.shard(0).http().open_route(inbound("")).count_request();
  EXPECT_TRUE(has_line(render_http(r, t0 + 10min), "request_total{" + kIn + "} 2"));
  EXPECT_TRUE(has_line(render_http(r, t0 + 19min), "request_total{" + kIn + "} 2"));
  const std::string gone = render_http(r, t0 + 20min);
  EXPECT_EQ(gone.find("request_total{"), std::string::npos) << gone;
  EXPECT_EQ(gone.find("response_total{"), std::string::npos) << gone;
  // A later request starts the series again from zero.
  r.shard(1).http().open_route(inbound("")).count_request();
  EXPECT_TRUE(has_line(render_http(r, t0 + 21min), "request_total{" + kIn + "} 1"));
}

TEST(HttpMetrics, ASeriesHeldByALiveHandleNeverExpires) {
  Registry r(1, 10min);
  const auto t0 = Clock::time_point{} + 1h;
  auto route = r.shard(0).http().open_route(inbound(""));
  route.count_request();
  for (auto t : {0min, 11min, 60min, 600min}) {
    EXPECT_TRUE(has_line(render_http(r, t0 + t), "request_total{" + kIn + "} 1")) << t.count();
  }
  // Its retention starts when the last handle goes (seen at the next render).
  route = HttpRoute();
  EXPECT_TRUE(has_line(render_http(r, t0 + 601min), "request_total{" + kIn + "} 1"));
  EXPECT_TRUE(has_line(render_http(r, t0 + 609min), "request_total{" + kIn + "} 1"));
  EXPECT_EQ(render_http(r, t0 + 610min).find("request_total{"), std::string::npos);
}

TEST(HttpMetrics, AHandleInAnyShardKeepsTheWholeLabelSet) {
  // Dropping one shard's part would make the rendered sum go backwards (a counter reset).
  Registry r(2, 1min);
  const auto t0 = Clock::time_point{} + 1h;
  r.shard(0).http().open_route(inbound("")).count_request();
  auto held = r.shard(1).http().open_route(inbound(""));
  held.count_request();
  EXPECT_TRUE(has_line(render_http(r, t0), "request_total{" + kIn + "} 2"));
  EXPECT_TRUE(has_line(render_http(r, t0 + 1h), "request_total{" + kIn + "} 2"));
}

TEST(TcpExpiry, ClosedIdleSeriesExpireAndOpenOnesStay) {
  Registry r(2, 10min);
  const auto t0 = Clock::time_point{} + 1h;
  const TcpTarget closed{Direction::inbound, Peer::src, tcp::endpoint(make_address("10.0.0.1"), 80),
                         TlsRef::no_identity("no_tls_from_remote")};
  const TcpTarget open{Direction::inbound, Peer::src, tcp::endpoint(make_address("10.0.0.2"), 80),
                       TlsRef::no_identity("no_tls_from_remote")};
  r.shard(0).open_tcp(closed).close({});
  r.shard(1).open_tcp(closed).close({});
  auto conn = r.shard(1).open_tcp(open);
  auto render = [&](Clock::time_point now) {
    std::string out;
    r.render_tcp(out, now);
    return out;
  };
  EXPECT_NE(render(t0).find("10.0.0.1"), std::string::npos);
  EXPECT_NE(render(t0 + 9min).find("10.0.0.1"), std::string::npos);
  const std::string later = render(t0 + 10min);
  EXPECT_EQ(later.find("10.0.0.1"), std::string::npos) << later;
  EXPECT_NE(render(t0 + 10h).find("target_addr=\"10.0.0.2:80\""), std::string::npos);
  // Closing counts as a change: retention runs from the close.
  conn.close({});
  EXPECT_NE(render(t0 + 10h + 1min).find("10.0.0.2"), std::string::npos);
  EXPECT_NE(render(t0 + 10h + 10min).find("10.0.0.2"), std::string::npos);
  EXPECT_EQ(render(t0 + 10h + 11min).find("10.0.0.2"), std::string::npos);
  // A new connection on the same label set counts from zero again.
  auto again = r.shard(0).open_tcp(closed);
  const std::string fresh = render(t0 + 11h);
  EXPECT_NE(fresh.find(R"(tcp_open_total{direction="inbound",peer="src",target_addr="10.0.0.1:80",)"
                       R"(target_ip="10.0.0.1",target_port="80",tls="no_identity",)"
                       R"(no_tls_reason="no_tls_from_remote"} 1)"),
            std::string::npos)
      << fresh;
}

// Counting on a worker thread while the admin thread renders (and expires) must neither crash
// nor lose counts; run under TSan/ASan builds for the memory-order claims.
TEST(HttpMetrics, CountsWhileRendering) {
  Registry r(1, 0s);  // everything idle expires at once: stresses expiry against live handles
  constexpr int kRequests = 20000;
  std::atomic<bool> done{false};
  std::thread worker([&] {
    auto route = r.shard(0).http().open_route(outbound("a:80"));
    for (int i = 0; i < kRequests; ++i) {
      if (!route.matches(outbound("a:80"))) route = r.shard(0).http().open_route(outbound("a:80"));
      route.count_request();
      route.observe_latency(200 + i % 3, std::chrono::microseconds(i));
      route.count_response({200u + i % 3, i % 17, Classification::success, ""});
      if (i % 1000 == 0) {
        // Short-lived handles on other routes, which expiry may drop between renders.
        r.shard(0).http().open_route(outbound("b:80", "10.0.0.9")).count_request();
      }
    }
    done = true;
    // Keep `route` until the final render below has seen it.
    while (done.load()) std::this_thread::yield();
  });
  while (!done.load()) (void)r.render();
  const std::string out = render_http(r);
  done = false;
  worker.join();
  EXPECT_TRUE(has_line(
      out, R"(request_total{direction="outbound",authority="a:80",target_addr="10.0.0.2:8080",)"
           R"(target_ip="10.0.0.2",target_port="8080",tls="no_identity",)"
           R"(no_tls_reason="not_provided_by_service_discovery"} 20000)"));
}

}  // namespace
}  // namespace weft::metrics
