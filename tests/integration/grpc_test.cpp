// gRPC through the whole proxy with real peers on both ends: Debian's python3-grpcio server and
// client (tests/support/grpc). The client runs its cases (unary, server/client streaming, bidi,
// 4 MB messages, 32 KiB metadata, a deadline, error statuses) first straight at the server, then
// through the outbound and the inbound listener; each case's outcome is asserted, and then the
// golden metrics: request and response counts, classification by grpc_status, status_code.
// Also: the endpoint down gives the client UNAVAILABLE with a weft-proxy-error header.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/grpc_tools.hpp"
#include "support/process.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using Labels = std::map<std::string, std::string>;

// clang-format off
const std::vector<std::string> kDefaultCases = {
    "unary", "server_stream", "client_stream", "bidi",
    "large_unary", "large_server_stream", "large_client_stream", "large_bidi",
    "metadata", "concurrent_unary",
    "deadline", "status_not_found", "status_internal", "status_unavailable", "early_status"};
// clang-format on

// What the default cases send: one call each, except concurrent_unary's 20.
constexpr int kCalls = 34;
constexpr int kOkCalls = 29;  // the 9 single successful calls and the 20 concurrent ones

/// Every default case passed, and the statuses and details arrived as the server sent them.
void expect_all_cases(const ClientRun& run) {
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const auto& name : kDefaultCases) EXPECT_TRUE(case_ok(run, name));
  auto field = [&run](const std::string& name, const char* key) {
    const auto it = run.cases.find(name);
    return it == run.cases.end() ? std::string("<no case>") : it->second.value(key, "");
  };
  EXPECT_EQ(field("status_internal", "code"), "INTERNAL");
  EXPECT_EQ(field("status_internal", "details"), "internal: 100% broken, caf\u00e9 \u2615");
  EXPECT_EQ(field("status_not_found", "code"), "NOT_FOUND");
  EXPECT_EQ(field("status_not_found", "details"), "book 42 not found");
  EXPECT_EQ(field("status_unavailable", "code"), "UNAVAILABLE");
  EXPECT_EQ(field("deadline", "code"), "DEADLINE_EXCEEDED");
  EXPECT_EQ(field("early_status", "code"), "FAILED_PRECONDITION");
}

/// The samples named `name` whose labels include `labels`.
std::vector<metrics::Sample> samples(const std::string& text, const std::string& name,
                                     const Labels& labels) {
  std::vector<metrics::Sample> out;
  auto parsed = metrics::parse_text(text);
  if (!parsed) return out;
  for (auto& s : *parsed) {
    bool match = s.name == name;
    for (const auto& [k, v] : labels) match = match && s.label(k) == std::string_view(v);
    if (match) out.push_back(std::move(s));
  }
  return out;
}

std::string dump_samples(const std::vector<metrics::Sample>& ss) {
  std::string out;
  for (const auto& s : ss) {
    out += s.name + "{";
    for (const auto& [k, v] : s.labels) out += k + "=\"" + v + "\",";
    out += "} " + std::to_string(s.value) + "\n";
  }
  return out;
}

/// The golden metrics of one run of the default cases on `dir` towards `target`: counts,
/// classification by grpc_status (Linkerd >= 2.14), status codes, and the outbound authority
/// label (when `authority` is not empty).
void expect_default_case_metrics(const app::Proxy& proxy, const std::string& dir,
                                 const boost::asio::ip::tcp::endpoint& target,
                                 const std::string& authority) {
  SCOPED_TRACE(dir + " metrics towards " + addr_label(target));
  const Labels route = {{"direction", dir}, {"target_addr", addr_label(target)}};
  auto with = [&route](Labels more) {
    more.insert(route.begin(), route.end());
    return more;
  };
  // Responses are counted when their streams end, which may be just after the client saw them.
  EXPECT_TRUE(wait_for_metric(proxy, "response_total", route, kCalls));
  const auto text = proxy.registry().render();
  const auto responses = dump_samples(samples(text, "response_total", {{"direction", dir}}));
  EXPECT_EQ(metric_value(text, "request_total", route), kCalls);
  EXPECT_EQ(metric_value(text, "response_total", with({{"classification", "success"}})),
            kOkCalls + 2)
      << responses;
  EXPECT_EQ(metric_value(text, "response_total", with({{"classification", "failure"}})), 3)
      << responses;
  // Linkerd >= 2.14: NOT_FOUND and FAILED_PRECONDITION are successes; INTERNAL and UNAVAILABLE
  // are failures.
  const std::vector<std::tuple<const char*, const char*, int>> by_status = {
      {"0", "success", kOkCalls},
      {"5", "success", 1},
      {"9", "success", 1},
      {"13", "failure", 1},
      {"14", "failure", 1}};
  for (const auto& [grpc_status, classification, count] : by_status) {
    EXPECT_EQ(metric_value(text, "response_total",
                           with({{"grpc_status", grpc_status},
                                 {"classification", classification},
                                 {"status_code", "200"},
                                 {"error", ""}})),
              count)
        << "grpc_status " << grpc_status << "\n"
        << responses;
  }
  // The deadline call: the client gives up (RST_STREAM CANCEL) or the server answers
  // DEADLINE_EXCEEDED first; either way it is the one other failure.
  const auto deadline = samples(text, "response_total", with({{"classification", "failure"}}));
  double other_failures = 0;
  for (const auto& s : deadline) {
    const auto status = s.label("grpc_status").value_or("");
    if (status != "13" && status != "14") {
      other_failures += s.value;
      EXPECT_TRUE(status == "4" || !s.label("error").value_or("").empty()) << responses;
    }
  }
  EXPECT_EQ(other_failures, 1) << responses;
  if (!authority.empty()) {
    EXPECT_EQ(metric_value(text, "request_total", with({{"authority", authority}})), kCalls);
  }
  EXPECT_GE(metric_value(text, "response_latency_ms_count", route), kCalls - 1);
  EXPECT_EQ(metric_value(text, dir + "_http_errors_total"), 0);
  // One client connection, and its calls multiplexed on one connection to the endpoint.
  EXPECT_EQ(metric_value(text, "tcp_open_total", {{"direction", dir}, {"peer", "src"}}), 1);
  EXPECT_EQ(metric_value(text, "tcp_open_total", {{"direction", dir}, {"peer", "dst"}}), 1);
}

TEST(Grpc, ClientAndServerAgreeWithoutTheProxy) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  expect_all_cases(run_client(server.endpoint()));
}

// Two meshed pods on one host: the client's proxy (outbound) forwards to the server's proxy
// (inbound), which forwards to the server; each side counts the calls.
TEST(Grpc, ThroughOutboundThenInboundAsBetweenTwoPods) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto server_pod = start_proxy_to(server.endpoint());
  auto client_pod = start_proxy_to(server_pod->inbound_endpoint());
  expect_all_cases(run_client(client_pod->outbound_endpoint()));
  expect_default_case_metrics(*client_pod, "outbound", server_pod->inbound_endpoint(),
                              addr_label(client_pod->outbound_endpoint()));
  expect_default_case_metrics(*server_pod, "inbound", server.endpoint(), "");
}

// Three clients at once, each on its own connection, share the proxy's one connection to the
// endpoint: their streams (4 MB messages among them) interleave on it.
TEST(Grpc, ThreeClientsAtOnceShareOneEndpointConnection) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto proxy = start_proxy_to(server.endpoint());
  std::vector<std::future<ClientRun>> runs;
  for (int i = 0; i < 3; ++i) {
    runs.push_back(std::async(std::launch::async,
                              [&proxy] { return run_client(proxy->outbound_endpoint()); }));
  }
  for (auto& run : runs) expect_all_cases(run.get());
  const Labels route = {{"direction", "outbound"}, {"target_addr", addr_label(server.endpoint())}};
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total", route, 3 * kCalls));
  const auto text = proxy->registry().render();
  EXPECT_EQ(metric_value(text, "request_total", route), 3 * kCalls);
  auto failures = route;
  failures.insert({"classification", "failure"});
  EXPECT_EQ(metric_value(text, "response_total", failures), 3 * 3);
  EXPECT_EQ(metric_value(text, "tcp_open_total", {{"peer", "src"}}), 3);
  EXPECT_EQ(metric_value(text, "tcp_open_total", {{"peer", "dst"}}), 1);
}

// An endpoint that ends its response while the request is still open (early_status) must not
// leave the stream open on the connection between the two proxies: the server's proxy allows 4
// concurrent streams, so a leak per call would stall the calls that follow.
TEST(Grpc, EarlyStatusesBetweenTwoPodsLeaveNoStreamOpen) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto config = loopback_config();
  config.inbound_http.h2_server.max_concurrent_streams = 4;
  auto server_pod = start_proxy_to(server.endpoint(), config);
  auto client_pod = start_proxy_to(server_pod->inbound_endpoint());
  const auto run = run_client(client_pod->outbound_endpoint(), "early_status,unary",
                              {"--repeat", "5", "--call-timeout", "5"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const Labels route = {{"direction", "inbound"}, {"target_addr", addr_label(server.endpoint())}};
  EXPECT_TRUE(wait_for_metric(*server_pod, "response_total", route, 10));
}

/// Parameter: the listener the client connects to, "outbound" or "inbound" (the direction label).
class GrpcThroughProxy : public testing::TestWithParam<std::string> {
 protected:
  const std::string& direction() const { return GetParam(); }
  boost::asio::ip::tcp::endpoint listener(const app::Proxy& proxy) const {
    return direction() == "inbound" ? proxy.inbound_endpoint() : proxy.outbound_endpoint();
  }
};

TEST_P(GrpcThroughProxy, EveryCaseArrivesIntactAndIsCounted) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto proxy = start_proxy_to(server.endpoint());
  const auto entry = listener(*proxy);
  expect_all_cases(run_client(entry));

  expect_default_case_metrics(*proxy, direction(), server.endpoint(),
                              direction() == "outbound" ? addr_label(entry) : "");
}

TEST_P(GrpcThroughProxy, EndpointDownGivesUnavailableWithProxyError) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  const auto nowhere = closed_port();
  auto proxy = start_proxy_to(nowhere);
  const auto run = run_client(listener(*proxy), "unreachable");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(case_ok(run, "unreachable"));
  const auto& result = run.cases.at("unreachable");
  EXPECT_EQ(result.value("code", ""), "UNAVAILABLE");
  EXPECT_NE(result.value("weft_proxy_error", ""), "") << result.dump(1);
  // grpc-message and weft-proxy-error carry the same short cause.
  EXPECT_EQ(result.value("details", ""), result.value("weft_proxy_error", "")) << result.dump(1);

  const auto dir = direction();
  const Labels route = {{"direction", dir}, {"target_addr", addr_label(nowhere)}};
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total", route, 1));
  const auto text = proxy->registry().render();
  const auto responses = samples(text, "response_total", route);
  ASSERT_EQ(responses.size(), 1u) << dump_samples(responses);
  const auto& r = responses.front();
  EXPECT_EQ(r.label("status_code"), "200") << dump_samples(responses);
  EXPECT_EQ(r.label("grpc_status"), "14") << dump_samples(responses);
  EXPECT_EQ(r.label("classification"), "failure") << dump_samples(responses);
  EXPECT_NE(r.label("error").value_or(""), "") << dump_samples(responses);
  EXPECT_EQ(metric_value(text, "request_total", route), 1);
  EXPECT_EQ(metric_value(text, dir + "_http_errors_total", {{"error", "connect"}}), 1);
}

TEST_P(GrpcThroughProxy, ClientCancelReachesTheServerAndIsCounted) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto proxy = start_proxy_to(server.endpoint());
  const auto run = run_client(listener(*proxy), "cancel");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(case_ok(run, "cancel")) << server.log();  // the server saw the RST_STREAM
  const int polls = run.cases.at("cancel").value("polls", 0);
  ASSERT_GE(polls, 1);

  // The cancelled call and each poll of Cancelled: every stream is counted once, the
  // cancelled one as a failure (it did not end cleanly).
  const Labels route = {{"direction", direction()}, {"target_addr", addr_label(server.endpoint())}};
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total", route, polls + 1));
  const auto text = proxy->registry().render();
  const auto responses = dump_samples(samples(text, "response_total", route));
  EXPECT_EQ(metric_value(text, "request_total", route), polls + 1);
  auto with = route;
  with.insert({{"classification", "success"}, {"grpc_status", "0"}});
  EXPECT_EQ(metric_value(text, "response_total", with), polls) << responses;
  with = route;
  with.insert({"classification", "failure"});
  EXPECT_EQ(metric_value(text, "response_total", with), 1) << responses;
}

TEST_P(GrpcThroughProxy, EndpointVanishingMidStreamFailsBothCalls) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto proxy = start_proxy_to(server.endpoint());
  // A server stream is open (2 messages received) when Exit ends the server process.
  const auto run = run_client(listener(*proxy), "server_vanishes");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(case_ok(run, "server_vanishes"));
  const auto& result = run.cases.at("server_vanishes");
  // Exit got no response at all: the proxy answers it, as for any failed endpoint.
  EXPECT_EQ(result.value("exit_code", ""), "UNAVAILABLE") << result.dump(1);
  EXPECT_NE(result.value("exit_proxy_error", ""), "") << result.dump(1);

  const auto dir = direction();
  const Labels route = {{"direction", dir}, {"target_addr", addr_label(server.endpoint())}};
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total", route, 2));
  const auto text = proxy->registry().render();
  const auto responses = dump_samples(samples(text, "response_total", route));
  EXPECT_EQ(metric_value(text, "request_total", route), 2);
  auto failures = route;
  failures.insert({"classification", "failure"});
  EXPECT_EQ(metric_value(text, "response_total", failures), 2) << responses;
  EXPECT_GE(metric_value(text, dir + "_http_errors_total"), 1);
}

// PING is hop by hop: the proxy answers the client's keepalive PINGs itself. A client that
// got no ack within 1 s would drop the connection and fail its 2 s call.
TEST_P(GrpcThroughProxy, ClientKeepalivePingsAreAnswered) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto proxy = start_proxy_to(server.endpoint());
  const auto run = run_client(listener(*proxy), "long_call", {"--keepalive-ms", "100"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(case_ok(run, "long_call"));
  const Labels route = {{"direction", direction()}, {"target_addr", addr_label(server.endpoint())}};
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total", route, 1));
  const auto text = proxy->registry().render();
  EXPECT_EQ(metric_value(text, "request_total", route), 1);
  EXPECT_EQ(metric_value(text, "tcp_open_total", {{"peer", "src"}}), 1);  // no reconnection
}

// A proxy that goes away (the end of a drain's grace period) with a gRPC stream open: the
// client's call ends with an error status, and tearing the proxy down does not crash.
TEST_P(GrpcThroughProxy, ProxyGoingAwayWithAStreamOpenEndsTheCall) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto proxy = start_proxy_to(server.endpoint());
  ChildProcess client({kPython, grpc_tool("grpc_client.py"), "--target",
                       addr_label(listener(*proxy)), "--cases", "hold"},
                      {});
  ASSERT_TRUE(client.wait_for_log("holding", 30s)) << client.stderr_text();
  EXPECT_TRUE(wait_for_metric(*proxy, "request_total", {{"direction", direction()}}, 1));
  proxy->stop();
  proxy.reset();
  EXPECT_EQ(client.wait(30s), 0) << client.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Listeners, GrpcThroughProxy, testing::Values("outbound", "inbound"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace weft::test
