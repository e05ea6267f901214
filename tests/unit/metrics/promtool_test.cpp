// Checks the whole rendered exposition with the real `promtool check metrics`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "../../support/promtool_lint.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

bool ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

// Runs `promtool check metrics` on `text`. Accepts a clean exit, or promtool's lint-only exit
// (status 3) when every finding is the expected `_ms` lint; a parse error (status 1) always fails.
::testing::AssertionResult promtool_accepts(const std::string& text) {
  char path[] = "/tmp/weft-promtool-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return ::testing::AssertionFailure() << "mkstemp failed";
  ::close(fd);
  { std::ofstream(path) << text; }
  const std::string cmd =
      std::string("timeout 60 /usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return ::testing::AssertionFailure() << "popen failed";
  std::string output;
  std::array<char, 512> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  const int status = ::pclose(p);
  ::unlink(path);
  if (WIFEXITED(status) && test::promtool_accepted(WEXITSTATUS(status), output)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "promtool status " << status << ":\n" << output;
}

#define REQUIRE_PROMTOOL()                                                               \
  do {                                                                                   \
    if (::access("/usr/bin/promtool", X_OK) != 0) {                                      \
      if (ci()) FAIL() << "promtool is missing (Debian package prometheus) and CI=true"; \
      GTEST_SKIP() << "promtool not installed (Debian package prometheus)";              \
    }                                                                                    \
  } while (0)

// The harness itself: promtool must reject a broken exposition, else the checks prove nothing.
TEST(Promtool, RejectsBrokenText) {
  REQUIRE_PROMTOOL();
  EXPECT_FALSE(promtool_accepts("# TYPE x counter\nx{a=\"1} 2\n"));
}

TEST(Promtool, AcceptsAnEmptyRegistry) {
  REQUIRE_PROMTOOL();
  EXPECT_TRUE(promtool_accepts(Registry(1).render()));
}

TEST(Promtool, AcceptsTheRenderedExposition) {
  REQUIRE_PROMTOOL();
  Registry r(2);
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  auto a = r.shard(0).open_tcp({Direction::inbound, Peer::src,
                                tcp::endpoint(make_address("10.0.0.1"), 80),
                                TlsRef::no_identity("no_tls_from_remote")});
  auto b = r.shard(1).open_tcp({Direction::outbound, Peer::dst,
                                tcp::endpoint(make_address("fd00::1"), 8080),
                                TlsRef::no_identity("weird \"reason\"\n")});
  a.add_read(10);
  b.add_write(20);
  a.close(boost::asio::error::connection_reset);
  {
    auto c = r.shard(1).open_tcp({Direction::inbound, Peer::dst,
                                  tcp::endpoint(make_address("127.0.0.1"), 8080),
                                  TlsRef::no_identity("loopback")});
    c.close(boost::asio::error::network_down);
  }

  auto out =
      r.shard(0).http().open_route({Direction::outbound, "web.default.svc.cluster.local:8080",
                                    tcp::endpoint(make_address("10.0.0.2"), 8080),
                                    TlsRef::no_identity("not_provided_by_service_discovery")});
  out.count_request();
  out.observe_latency(200, std::chrono::microseconds(1500));
  out.count_response({200, -1, Classification::success, ""});
  out.count_response({0, -1, Classification::failure, "h2(PROTOCOL_ERROR)"});
  auto in = r.shard(1).http().open_route({Direction::inbound, "ignored",
                                          tcp::endpoint(make_address("::1"), 80),
                                          TlsRef::no_identity("loopback")});
  in.count_request();
  in.observe_latency(503, std::chrono::seconds(70));
  in.count_response({200, 14, Classification::failure, ""});
  r.shard(1).http().count_error(Direction::outbound, HttpErrorKind::connect);

  const std::string text = r.render();
  ASSERT_NE(text.find("response_latency_ms_bucket{"), std::string::npos);
  EXPECT_TRUE(promtool_accepts(text));
}

// Every family of the route metrics and the dst_* labels, on HTTP and tcp_* series.
TEST(Promtool, AcceptsRouteFamiliesAndDstLabels) {
  REQUIRE_PROMTOOL();
  Registry r(2);
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  const tcp::endpoint endpoint(make_address("10.244.1.5"), 8080);
  constexpr std::string_view dst = R"(dst_namespace="emojivoto",dst_pod="web-5f86")";
  auto conn = r.shard(0).open_tcp({Direction::outbound, Peer::dst, endpoint,
                                   TlsRef::no_identity("not_provided_by_service_discovery"), dst});
  conn.add_read(100);
  auto http =
      r.shard(0).http().open_route({Direction::outbound, "web-svc:80", endpoint,
                                    TlsRef::no_identity("not_provided_by_service_discovery"), dst});
  http.count_request();
  http.observe_latency(200, std::chrono::milliseconds(12));
  http.count_response({200, -1, Classification::success, ""});
  for (std::size_t shard = 0; shard < 2; ++shard) {
    auto route = r.shard(shard).routes().open("web-svc.emojivoto.svc.cluster.local", "GET /api/");
    route.count_request();
    route.count_actual_request();
    route.count_actual_response({503, -1, Classification::failure, ""});
    route.count_retry();
    route.count_actual_request();
    route.count_actual_response({200, 0, Classification::success, ""});
    route.observe_latency(200, std::chrono::milliseconds(40));
    route.count_response({200, 0, Classification::success, ""});
    route.count_retry_skipped(RetrySkip::budget);
  }
  r.shard(1).routes().open("other", "weird \"route\"\n").count_request();

  const std::string text = r.render();
  for (const char* family :
       {"route_request_total{", "route_response_latency_ms_bucket{", "route_response_total{",
        "route_actual_request_total{", "route_actual_response_total{",
        "route_retry_requests_total{", "route_retry_skipped_total{"}) {
    EXPECT_NE(text.find(family), std::string::npos) << family;
  }
  EXPECT_NE(text.find(R"(not_provided_by_service_discovery",dst_namespace="emojivoto")"),
            std::string::npos);
  EXPECT_TRUE(promtool_accepts(text));
}

// Every TLS status on both sides, on tcp_* and HTTP series: the label sets differ in the label
// after `tls` (no_tls_reason, client_id, server_id, sni), which promtool must accept in one family.
TEST(Promtool, AcceptsEveryTlsStatusOnBothSides) {
  REQUIRE_PROMTOOL();
  Registry r(2);
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  const tcp::endpoint app(make_address("10.77.0.4"), 8080);
  constexpr std::string_view web = "spiffe://cluster.local/ns/emojivoto/sa/web";
  const TlsRef statuses[] = {TlsRef::no_identity("no_tls_from_remote"), TlsRef::established(web),
                             TlsRef::established(""), TlsRef::opaque("db.example.com")};
  std::vector<TcpConnMetrics> conns;
  std::vector<HttpRoute> routes;
  for (const TlsRef tls : statuses) {
    for (const Peer peer : {Peer::src, Peer::dst}) {
      for (const Direction d : {Direction::inbound, Direction::outbound}) {
        conns.push_back(r.shard(peer == Peer::src ? 0 : 1).open_tcp({d, peer, app, tls}));
        conns.back().add_read(1);
      }
    }
    for (const Direction d : {Direction::inbound, Direction::outbound}) {
      routes.push_back(r.shard(0).http().open_route({d, "web-svc:80", app, tls}));
      routes.back().count_request();
      routes.back().observe_latency(200, std::chrono::milliseconds(3));
      routes.back().count_response({200, -1, Classification::success, ""});
    }
  }
  conns.front().close(boost::asio::error::connection_reset);
  const std::string text = r.render();
  for (const char* label : {R"(client_id="spiffe://)", R"(server_id="spiffe://)", R"(client_id="")",
                            R"(sni="db.example.com")", "no_tls_reason="}) {
    EXPECT_NE(text.find(label), std::string::npos) << label;
  }
  EXPECT_TRUE(promtool_accepts(text));
}

TEST(Promtool, AcceptsTheBalancerGauge) {
  REQUIRE_PROMTOOL();
  Registry r(2);
  r.shard(0).balancer().set("web.emojivoto.svc.cluster.local", {3, 1});
  r.shard(1).balancer().set("web.emojivoto.svc.cluster.local", {2, 2});
  r.shard(1).balancer().set("odd \"name\"\n", {0, 0});
  const std::string text = r.render();
  ASSERT_NE(text.find("outbound_http_balancer_endpoints{"), std::string::npos);
  EXPECT_TRUE(promtool_accepts(text));
}

// The harness must not accept other lints: a counter without _total draws one.
TEST(Promtool, OnlyTheMsLintIsExpected) {
  REQUIRE_PROMTOOL();
  EXPECT_FALSE(promtool_accepts("# HELP requests x\n# TYPE requests counter\nrequests 1\n"));
}

}  // namespace
}  // namespace weft::metrics
