// HTTP/2 (h2c prior knowledge) through the whole proxy with real clients: curl, nghttp and
// h2load against an in-process h2 endpoint and against nghttpd. Bodies of 20 MB each way checked
// by digest, 100 concurrent streams on one connection, trailers both ways, gRPC trailers-only.
#include <gtest/gtest.h>

#include <spdlog/fmt/fmt.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/h2_test_server.hpp"
#include "support/h2_tools.hpp"
#include "support/process.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(H2Streams, CurlGetThroughBothListeners) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  for (const auto& listener : {proxy->inbound_endpoint(), proxy->outbound_endpoint()}) {
    const auto r = curl_h2({"-w", "\n%{http_version} %{http_code}"}, h2_url(listener, "/size/1000"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, pattern_bytes(1000) + "\n2 200");
  }
  // One pooled connection per endpoint per direction, whatever the number of requests.
  EXPECT_EQ(server.connections(), 2u);
  const auto target = addr_label(server.endpoint());
  EXPECT_TRUE(wait_for_metric(*proxy, "request_total",
                              {{"direction", "outbound"},
                               {"authority", addr_label(proxy->outbound_endpoint())},
                               {"target_addr", target}},
                              1));
  for (const char* dir : {"inbound", "outbound"}) {
    EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                                {{"direction", dir},
                                 {"status_code", "200"},
                                 {"classification", "success"},
                                 {"grpc_status", ""},
                                 {"error", ""}},
                                1));
    EXPECT_TRUE(wait_for_metric(*proxy, "response_latency_ms_count",
                                {{"direction", dir}, {"status_code", "200"}}, 1));
    // The pooled endpoint connection is counted as peer="dst" while it lives.
    EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections",
                                {{"direction", dir}, {"peer", "dst"}, {"target_addr", target}},
                                1));
  }
}

TEST(H2Streams, TwentyMegabytesEachWayKeepTheirDigest) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  constexpr std::size_t kSize = 20u * 1024 * 1024;
  const std::string body = pattern_bytes(kSize) + "tail";
  TempFile upload(body);
  const std::string out_path = upload.dir() + "/echoed";
  const auto up = curl_h2({"--data-binary", "@" + upload.path(), "-o", out_path},
                          h2_url(proxy->outbound_endpoint(), "/echo"));
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(sha256_hex(read_file(out_path)), sha256_hex(body));

  const std::string down_path = upload.dir() + "/downloaded";
  const auto down = curl_h2({"-o", down_path},
                            h2_url(proxy->outbound_endpoint(), fmt::format("/size/{}", kSize)));
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(sha256_hex(read_file(down_path)), sha256_hex(pattern_bytes(kSize)));
}

TEST(H2Streams, HundredConcurrentStreamsOnOneConnection) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  // nghttp -m 100: the same URI 100 times at once on one connection.
  const auto r = run_command(
      {"nghttp", "-n", "-s", "-m", "100", h2_url(proxy->outbound_endpoint(), "/size/100000")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(server.requests(), 100u);

  const auto load = run_command({"h2load", "-n", "2000", "-c", "4", "-m", "100",
                                 h2_url(proxy->outbound_endpoint(), "/size/1000")});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_NE(load.out.find("2000 succeeded, 0 failed, 0 errored"), std::string::npos) << load.out;
  EXPECT_NE(load.out.find("status codes: 2000 2xx"), std::string::npos) << load.out;
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"}, {"classification", "success"}}, 2100));
  EXPECT_TRUE(wait_for_metric(*proxy, "request_total", {{"direction", "outbound"}}, 2100));
}

TEST(H2Streams, TrailersPassBothWays) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  TempFile body(std::string(100000, 'x'));
  const auto r = run_command({"nghttp", "-v", "-n", "-d", body.path(), "--trailer",
                              "x-request-trailer: sent-by-client",
                              h2_url(proxy->outbound_endpoint(), "/echo")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The endpoint echoes the request's trailers as its own, plus one of its own.
  EXPECT_NE(r.out.find("x-request-trailer: sent-by-client"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x-echo-trailer: 1"), std::string::npos) << r.out;
}

TEST(H2Streams, GrpcTrailersOnlyResponsePassesIntact) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  const auto r = curl_h2({"-D", "-", "-o", "/dev/null", "-H", "content-type: application/grpc"},
                         h2_url(proxy->outbound_endpoint(), "/grpc-fail"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("grpc-status: 14"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grpc-message: test unavailable"), std::string::npos) << r.out;
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "200"},
                               {"grpc_status", "14"},
                               {"classification", "failure"},
                               {"error", ""}},
                              1));
}

TEST(H2Streams, EndpointGoawayMovesNewStreamsToANewConnection) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  const auto bye = curl_h2({}, h2_url(proxy->outbound_endpoint(), "/goaway"));
  ASSERT_EQ(bye.exit_code, 0) << bye.err;
  EXPECT_EQ(bye.out, "bye");
  for (int i = 0; i < 3; ++i) {
    const auto r = curl_h2({}, h2_url(proxy->outbound_endpoint(), "/size/10"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, pattern_bytes(10));
  }
  EXPECT_EQ(server.connections(), 2u);
}

TEST(H2Streams, H2loadThroughProxyToNghttpd) {
  if (!have_program("nghttpd")) GTEST_SKIP() << "nghttpd not installed";
  TempFile file(pattern_bytes(4096));
  const auto port = closed_port();
  ChildProcess nghttpd({"nghttpd", "--no-tls", "-a", "127.0.0.1", "-d", file.dir(),
                        std::to_string(port.port())},
                       {});
  // nghttpd says nothing when it listens; the first request that succeeds says it.
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = curl_h2({"-o", "/dev/null"}, h2_url(port, "/body")).exit_code == 0;
    if (!up) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(up) << nghttpd.stderr_text();
  auto proxy = start_proxy_to(port);
  const auto load = run_command(
      {"h2load", "-n", "4000", "-c", "8", "-m", "16", h2_url(proxy->outbound_endpoint(), "/body")});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_NE(load.out.find("4000 succeeded, 0 failed, 0 errored"), std::string::npos) << load.out;
}

}  // namespace
}  // namespace weft::test
