// Outbound balancing over a service's endpoints, with real peers: replicas of
// tests/support/lb_endpoint.py (HTTP/1.1) and of the python3-grpcio server on 127.0.0.2-4
// behind a virtual address that nobody listens on (127.0.0.99:80, as a Service's ClusterIP),
// reached through the outbound listener. Load comes from h2load and from a gRPC channel, and the
// outcomes are read from what the clients saw and from the proxy's metrics.
#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/grpc_tools.hpp"
#include "support/h2_tools.hpp"
#include "support/h1_client.hpp"
#include "support/process.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "weft/discovery/file_source.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;

const tcp::endpoint kVip{boost::asio::ip::make_address("127.0.0.99"), 80};

std::string addr(const tcp::endpoint& e) { return addr_label(e); }

/// A service document: `svc` at 127.0.0.99:80 over `endpoints` (named e0, e1, ... in dst_pod),
/// with `extra` appended to the service (routes, budget, balancer).
std::string service_yaml(const std::vector<tcp::endpoint>& endpoints, const std::string& extra) {
  std::string doc =
      "services:\n"
      "  - name: svc.test.svc.cluster.local\n"
      "    addresses: [\"127.0.0.99:80\"]\n"
      "    endpoints:\n";
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    doc += fmt::format("      - addr: \"{}\"\n        labels: {{pod: e{}}}\n", addr(endpoints[i]), i);
  }
  if (endpoints.empty()) doc += "      []\n";
  return doc + extra;
}

void publish(app::Proxy& proxy, const std::string& yaml) {
  auto table = discovery::parse_destinations(yaml);
  ASSERT_TRUE(table) << table.error() << "\n" << yaml;
  proxy.destinations().publish(*table);
}

std::unique_ptr<app::Proxy> proxy_for_vip(core::ProxyConfig config = loopback_config()) {
  return start_proxy_to(kVip, std::move(config));
}

std::string url(const app::Proxy& proxy, const std::string& path = "/") {
  return base_url(proxy.outbound_endpoint()) + path;
}

/// h2load over HTTP/1.1; returns the 2xx and 5xx counts it reports (-1 when it did not run).
struct LoadResult {
  int ok = -1;
  int server_errors = -1;
  std::string output;
};
LoadResult h1load(const std::string& target, int requests, int clients) {
  const auto r = run_command({"h2load", "--h1", "-n", std::to_string(requests), "-c",
                              std::to_string(clients), target},
                             {}, 120s);
  LoadResult out;
  out.output = r.out + r.err;
  std::smatch m;
  if (std::regex_search(out.output, m, std::regex(R"(status codes: (\d+) 2xx, \d+ 3xx, \d+ 4xx, (\d+) 5xx)"))) {
    out.ok = std::stoi(m[1]);
    out.server_errors = std::stoi(m[2]);
  }
  return out;
}

double requests_to(const app::Proxy& proxy, const tcp::endpoint& endpoint) {
  return metric_value(proxy.registry().render(), "request_total",
                      {{"direction", "outbound"}, {"target_addr", addr(endpoint)}});
}

struct Replicas {
  std::vector<PyServer> servers;
  std::vector<tcp::endpoint> endpoints;
};

Replicas lb_replicas(const std::vector<int>& latencies_ms, int fail_every = 0) {
  Replicas r;
  for (std::size_t i = 0; i < latencies_ms.size(); ++i) {
    const std::string host = fmt::format("127.0.0.{}", 2 + i);
    r.servers.push_back(lb_endpoint(host, fmt::format("e{}", i), latencies_ms[i], fail_every));
    EXPECT_TRUE(r.servers.back().ok()) << host;
    r.endpoints.push_back(r.servers.back().endpoint());
  }
  return r;
}

TEST(Balance, RequestsAvoidTheSlowEndpointAndReturnWhenItSpeedsUp) {
  auto replicas = lb_replicas({1, 1, 40});
  auto proxy = proxy_for_vip();
  // A 1 s decay window (Linkerd's is 10 s) so that the slow endpoint's estimate fades quickly
  // once it is fast again.
  publish(*proxy, service_yaml(replicas.endpoints, "    balancer: {default_rtt: 30ms, decay: 1s}\n"));
  const auto first = h1load(url(*proxy), 400, 4);
  ASSERT_EQ(first.ok, 400) << first.output;
  const double slow = requests_to(*proxy, replicas.endpoints[2]);
  EXPECT_LE(slow, 40) << "the 40 ms endpoint got " << slow << " of 400 requests";
  EXPECT_GE(requests_to(*proxy, replicas.endpoints[0]), 100);
  EXPECT_GE(requests_to(*proxy, replicas.endpoints[1]), 100);

  // The slow endpoint speeds up: its estimate decays, it is tried again, and its fresh samples
  // earn it a share again. Batches until it has one (or 30 s pass).
  ASSERT_EQ(curl({"-sS", "-X", "POST", base_url(replicas.endpoints[2]) + "/control?latency_ms=1"})
                .exit_code,
            0);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  double share = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const double before = requests_to(*proxy, replicas.endpoints[2]);
    const auto batch = h1load(url(*proxy), 300, 4);
    ASSERT_EQ(batch.ok, 300) << batch.output;
    share = (requests_to(*proxy, replicas.endpoints[2]) - before) / 300.0;
    if (share >= 0.2) break;
  }
  EXPECT_GE(share, 0.2) << "traffic did not come back to the endpoint that sped up";
}

TEST(Balance, EndpointLabelsBecomeDstLabels) {
  auto replicas = lb_replicas({0});
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml(replicas.endpoints, ""));
  const auto r = curl({url(*proxy)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "e0\n");
  const auto text = proxy->registry().render();
  EXPECT_EQ(metric_value(text, "request_total",
                         {{"direction", "outbound"}, {"dst_pod", "e0"},
                          {"target_addr", addr(replicas.endpoints[0])}}),
            1)
      << text;
  EXPECT_EQ(metric_value(text, "tcp_open_total", {{"peer", "dst"}, {"dst_pod", "e0"}}), 1);
  // Only the endpoint was tried: nothing went (or was counted) towards the virtual address. (A
  // conditional expression holding co_await once ran both arms under GCC 12.)
  EXPECT_EQ(metric_value(text, "request_total", {{"target_addr", addr(kVip)}}), 0) << text;
  EXPECT_EQ(metric_value(text, "response_total", {{"target_addr", addr(kVip)}}), 0) << text;
  EXPECT_EQ(metric_value(text, "outbound_http_balancer_endpoints",
                         {{"endpoint_state", "ready"}, {"dst", "svc.test.svc.cluster.local"}}),
            1)
      << text;
}

TEST(Balance, RetriesHideAnEndpointThatFailsHalfItsRequests) {
  auto healthy = lb_replicas({0, 0});
  auto failing = lb_endpoint("127.0.0.4", "bad", 0, 2);
  ASSERT_TRUE(failing.ok());
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml({healthy.endpoints[0], healthy.endpoints[1], failing.endpoint()},
                               "    routes:\n"
                               "      - match: {path_prefix: /}\n"
                               "        name: all\n"
                               "        retry: {http: 5xx, limit: 2}\n"));
  const auto load = h1load(url(*proxy), 600, 4);
  ASSERT_GE(load.ok, 0) << load.output;
  EXPECT_GE(load.ok, 600 * 95 / 100) << load.output;
  const auto text = proxy->registry().render();
  const std::map<std::string, std::string> route = {{"dst", "svc.test.svc.cluster.local"},
                                                    {"rt_route", "all"}};
  EXPECT_EQ(metric_value(text, "route_request_total", route), 600) << text;
  EXPECT_GT(metric_value(text, "route_retry_requests_total", route), 0) << text;
  EXPECT_EQ(metric_value(text, "route_actual_request_total", route),
            600 + metric_value(text, "route_retry_requests_total", route));
}

TEST(Balance, RetriesStayWithinTheBudgetWhenEveryEndpointFails) {
  auto replicas = lb_replicas({0, 0, 0}, 1);  // every request answered 503
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml(replicas.endpoints,
                               "    routes:\n"
                               "      - match: {path_prefix: /}\n"
                               "        name: all\n"
                               "        retry: {http: 5xx, limit: 3}\n"
                               "    retry_budget: {ratio: 0.2, min_per_second: 1, ttl: 10s}\n"));
  const auto load = h1load(url(*proxy), 400, 4);
  ASSERT_EQ(load.server_errors, 400) << load.output;
  const auto text = proxy->registry().render();
  const std::map<std::string, std::string> route = {{"dst", "svc.test.svc.cluster.local"},
                                                    {"rt_route", "all"}};
  const double retries = metric_value(text, "route_retry_requests_total", route);
  // 20% of 400 requests plus 1 per second over 10 s; without a budget it would be 1,200.
  EXPECT_LE(retries, 0.2 * 400 + 10 + 1) << text;
  EXPECT_GT(retries, 0);
  EXPECT_GT(metric_value(text, "route_retry_skipped_total", {{"reason", "budget"}}), 0) << text;
}

TEST(Balance, RouteTimeoutAnswers504) {
  auto replicas = lb_replicas({2000});
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml(replicas.endpoints,
                               "    routes:\n"
                               "      - match: {path_prefix: /slow}\n"
                               "        timeout: 200ms\n"));
  auto r = curl({"-sS", "-i", url(*proxy, "/slow")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 504")) << r.out;
  EXPECT_NE(r.out.find("weft-proxy-error: request timed out"), std::string::npos) << r.out;
  // A per-request override: weft-timeout, stripped before the endpoint sees it.
  r = curl({"-sS", "-i", "-H", "weft-timeout: 100ms", url(*proxy, "/other")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 504")) << r.out;
}

TEST(Balance, ATryThatTimesOutIsTriedAgainThenAnswered504) {
  auto replicas = lb_replicas({5000});
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml(replicas.endpoints,
                               "    routes:\n"
                               "      - match: {path_prefix: /}\n"
                               "        name: all\n"
                               "        retry: {http: 5xx, limit: 1, per_try_timeout: 200ms}\n"));
  const auto r = curl({"-sS", "-i", url(*proxy)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 504")) << r.out;
  EXPECT_NE(r.out.find("weft-proxy-error: response timed out"), std::string::npos) << r.out;
  const auto text = proxy->registry().render();
  const std::map<std::string, std::string> route = {{"rt_route", "all"}};
  EXPECT_EQ(metric_value(text, "route_actual_request_total", route), 2) << text;
  EXPECT_EQ(metric_value(text, "route_retry_requests_total", route), 1) << text;
  EXPECT_EQ(metric_value(text, "route_response_total", route), 1) << text;
}

TEST(Balance, NoReadyEndpointIsFailfast504AndAtOnceAfter) {
  auto config = loopback_config();
  config.http_balancer.failfast_timeout = 300ms;
  auto proxy = proxy_for_vip(config);
  publish(*proxy, service_yaml({}, ""));
  auto r = curl({"-sS", "-i", url(*proxy)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 504")) << r.out;
  EXPECT_NE(r.out.find("fail-fast"), std::string::npos) << r.out;
  r = curl({"-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", url(*proxy)});
  EXPECT_TRUE(r.out.starts_with("504")) << r.out;
  EXPECT_EQ(metric_value(proxy->registry().render(), "outbound_http_errors_total",
                         {{"error", "failfast"}}),
            2);
}

TEST(Balance, RemovingAnEndpointWhileRequestsRunLosesNone) {
  auto replicas = lb_replicas({2, 2, 2});
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml(replicas.endpoints, ""));
  ChildProcess load({"h2load", "--h1", "-n", "3000", "-c", "8", url(*proxy)}, {});
  // Once requests are flowing, the third endpoint leaves the table.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (requests_to(*proxy, replicas.endpoints[2]) < 50 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  publish(*proxy, service_yaml({replicas.endpoints[0], replicas.endpoints[1]}, ""));
  const double at_removal = requests_to(*proxy, replicas.endpoints[2]);
  const auto code = load.wait(120s);
  ASSERT_EQ(code, 0);
  // h2load wrote its summary to stdout, which ChildProcess does not keep: the proxy's counts
  // tell instead. Every request had a 200.
  const auto text = proxy->registry().render();
  EXPECT_EQ(metric_value(text, "response_total", {{"direction", "outbound"}, {"status_code", "200"}}),
            3000)
      << text;
  // In-flight work drained; nothing new went to the removed endpoint.
  EXPECT_LE(requests_to(*proxy, replicas.endpoints[2]), at_removal + 8);
}

TEST(Balance, OneHttp2ClientConnectionSpreadsOverEveryReplica) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  std::vector<std::unique_ptr<GrpcServer>> servers;
  std::vector<tcp::endpoint> endpoints;
  for (int i = 0; i < 3; ++i) {
    const std::string host = fmt::format("127.0.0.{}", 2 + i);
    servers.push_back(std::make_unique<GrpcServer>(
        std::vector<std::string>{"--name", fmt::format("r{}", i)}, host));
    ASSERT_TRUE(servers.back()->ready());
    endpoints.push_back(servers.back()->endpoint());
  }
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml(endpoints, ""));
  // Eight calls in flight at a time, so the pending counts weigh in: shares are not equal (peak-EWMA
  // keeps favouring whichever replica answered fastest for the whole decay time, and one slow
  // answer marks a replica slow for as long), but every replica gets some.
  const auto run =
      run_client(proxy->outbound_endpoint(), "spread", {"--calls", "150", "--concurrency", "8"});
  ASSERT_TRUE(case_ok(run, "spread"));
  const auto& result = run.cases.at("spread");
  EXPECT_EQ(result["codes"].value("OK", 0), 150) << result.dump();
  for (const char* name : {"r0", "r1", "r2"}) {
    EXPECT_GE(result["served_by"].value(name, 0), 1) << name << ": " << result.dump();
  }
}

TEST(Balance, GrpcRetriesUnavailableAndGetsProxyDeadlines) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer healthy({"--name", "ok"}, "127.0.0.2");
  GrpcServer failing({"--name", "bad", "--fail-every", "2"}, "127.0.0.3");
  ASSERT_TRUE(healthy.ready() && failing.ready());
  auto proxy = proxy_for_vip();
  publish(*proxy, service_yaml({healthy.endpoint(), failing.endpoint()},
                               "    routes:\n"
                               "      - match: {path_prefix: /}\n"
                               "        retry: {grpc: unavailable, limit: 2}\n"));
  const auto run = run_client(proxy->outbound_endpoint(), "spread,proxy_timeout",
                              {"--calls", "200"});
  ASSERT_TRUE(case_ok(run, "spread"));
  EXPECT_GE(run.cases.at("spread")["codes"].value("OK", 0), 190) << run.cases.at("spread").dump();
  EXPECT_TRUE(case_ok(run, "proxy_timeout"));
}

TEST(Balance, GrpcFailfastIsDeadlineExceeded) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  auto config = loopback_config();
  config.http_balancer.failfast_timeout = 300ms;
  auto proxy = proxy_for_vip(config);
  publish(*proxy, service_yaml({}, ""));
  const auto run = run_client(proxy->outbound_endpoint(), "failfast");
  EXPECT_TRUE(case_ok(run, "failfast"));
}

void write_file(const std::string& path, const std::string& text) {
  // Written aside and renamed over, as a ConfigMap update replaces the file.
  {
    std::ofstream out(path + ".tmp");
    out << text;
  }
  std::filesystem::rename(path + ".tmp", path);
}

/// GETs through the proxy until the body is `body` or 10 s pass.
testing::AssertionResult eventually_served_by(const app::Proxy& proxy, const std::string& body) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = curl({url(proxy)}).out;
    if (last == body) return testing::AssertionSuccess();
    std::this_thread::sleep_for(50ms);
  }
  return testing::AssertionFailure() << "still answered " << last;
}

TEST(Destinations, TheFileIsFollowedAndABadOneKeepsTheLastTable) {
  auto replicas = lb_replicas({0, 0});
  TempFile file(service_yaml({replicas.endpoints[0]}, ""));
  auto config = loopback_config();
  config.destinations_path = file.path();
  auto proxy = proxy_for_vip(config);
  EXPECT_EQ(curl({url(*proxy)}).out, "e0\n");

  write_file(file.path(), "services:\n  - name: broken\n    addresses: [\"not an address\"]\n");
  EXPECT_TRUE(wait_for_metric(*proxy, "destination_reloads_total", {{"result", "error"}}, 1));
  EXPECT_EQ(curl({url(*proxy)}).out, "e0\n");  // the last good table still routes

  write_file(file.path(), service_yaml({replicas.endpoints[1]}, ""));
  // The endpoints are labelled by position: the one new endpoint is e0 in the file, but it is
  // the second replica, which answers "e1".
  EXPECT_TRUE(eventually_served_by(*proxy, "e1\n"));
  EXPECT_TRUE(wait_for_metric(*proxy, "destination_reloads_total", {{"result", "ok"}}, 2));
}

}  // namespace
}  // namespace weft::test
