// HTTP/2 failures through the whole proxy: RST_STREAM from either side, an endpoint that is
// down (502, or gRPC UNAVAILABLE), a frame with a bad length (GOAWAY FRAME_SIZE_ERROR while other
// connections keep working), a header list above the limit (431), GOAWAY on drain, and a client
// that never answers keepalive PINGs.
#include <gtest/gtest.h>

#include "support/client.hpp"
#include "support/h2_frames.hpp"
#include "support/h2_test_server.hpp"
#include "support/h2_tools.hpp"
#include "support/process.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

// Preface and an empty SETTINGS: enough for the proxy's server session to take requests.
std::string client_start() { return std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, ""); }

std::string get_headers(std::uint32_t stream_id, const std::string& path, std::uint8_t flags) {
  return h2::frame(h2::kHeaders, flags | h2::kEndHeaders, stream_id,
                   h2::header_block({{":method", "GET"},
                                     {":scheme", "http"},
                                     {":authority", "test.local"},
                                     {":path", path}}));
}

TEST(H2Errors, EndpointResetReachesTheClient) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  const auto r =
      run_command({"nghttp", "-v", "-n", h2_url(proxy->outbound_endpoint(), "/reset")});
  EXPECT_NE(r.out.find("recv RST_STREAM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ENHANCE_YOUR_CALM"), std::string::npos) << r.out;
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"classification", "failure"},
                               {"error", "h2(ENHANCE_YOUR_CALM)"}},
                              1));
}

TEST(H2Errors, ClientResetReachesTheEndpointWithItsCode) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all(client_start() + get_headers(1, "/hang", h2::kEndStream)));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.requests() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server.requests(), 1u);
  ASSERT_TRUE(c.send_all(h2::frame(h2::kRstStream, 0, 1, std::string("\0\0\0\x0b", 4))));
  EXPECT_EQ(server.wait_hang_reset(10s), 0x0b);
}

TEST(H2Errors, ClientThatVanishesCancelsItsEndpointStreams) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  {
    Client c(proxy->outbound_endpoint());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send_all(client_start() + get_headers(1, "/hang", h2::kEndStream)));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (server.requests() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(server.requests(), 1u);
  }  // closed without a word
  EXPECT_EQ(server.wait_hang_reset(10s), 0x8);  // CANCEL
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"classification", "failure"},
                               {"error", "h2(CANCEL)"}},
                              1));
}

TEST(H2Errors, EndpointThatVanishesMidBodyResetsTheClientStream) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  const auto r = run_command({"nghttp", "-v", "-n", h2_url(proxy->outbound_endpoint(), "/die")});
  EXPECT_NE(r.out.find("recv RST_STREAM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("INTERNAL_ERROR"), std::string::npos) << r.out;
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "200"},
                               {"classification", "failure"},
                               {"error", "h2(INTERNAL_ERROR)"}},
                              1));
  // The next request gets a new endpoint connection.
  const auto ok = curl_h2({}, h2_url(proxy->outbound_endpoint(), "/size/10"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, pattern_bytes(10));
  EXPECT_EQ(server.connections(), 2u);
}

TEST(H2Errors, UnreachableEndpointGets502OrGrpcUnavailable) {
  auto proxy = start_proxy_to(closed_port());
  const auto url = h2_url(proxy->outbound_endpoint(), "/");
  const auto plain = curl_h2({"-D", "-", "-o", "/dev/null"}, url);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.rfind("HTTP/2 502", 0), 0u) << plain.out;
  EXPECT_NE(plain.out.find("weft-proxy-error: "), std::string::npos) << plain.out;

  const auto grpc =
      curl_h2({"-D", "-", "-o", "/dev/null", "-H", "content-type: application/grpc"}, url);
  ASSERT_EQ(grpc.exit_code, 0) << grpc.err;
  EXPECT_EQ(grpc.out.rfind("HTTP/2 200", 0), 0u) << grpc.out;
  EXPECT_NE(grpc.out.find("grpc-status: 14"), std::string::npos) << grpc.out;
  EXPECT_NE(grpc.out.find("grpc-message: "), std::string::npos) << grpc.out;
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "502"},
                               {"classification", "failure"},
                               {"error", "connect"}},
                              1));
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "200"},
                               {"grpc_status", "14"},
                               {"classification", "failure"},
                               {"error", "connect"}},
                              1));
  EXPECT_TRUE(wait_for_metric(*proxy, "outbound_http_errors_total", {{"error", "connect"}}, 2));
}

TEST(H2Errors, BadFrameLengthGetsGoawayAndOthersKeepWorking) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  Client bad(proxy->outbound_endpoint());
  ASSERT_TRUE(bad.connected());
  // SETTINGS payloads are multiples of 6 octets: 5 is a FRAME_SIZE_ERROR (RFC 9113 §6.5).
  ASSERT_TRUE(bad.send_all(std::string(h2::kPreface) +
                           h2::frame(h2::kSettings, 0, 0, std::string(5, '\0'))));
  const auto goaway = h2::read_until(bad, h2::kGoaway);
  ASSERT_TRUE(goaway.has_value());
  ASSERT_GE(goaway->payload.size(), 8u);
  EXPECT_EQ(h2::be32(goaway->payload, 4), 0x6u);  // FRAME_SIZE_ERROR
  ReadEnd end{};
  bad.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);

  const auto r = curl_h2({}, h2_url(proxy->outbound_endpoint(), "/size/10"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, pattern_bytes(10));
}

TEST(H2Errors, HeaderListAboveTheLimitGets431) {
  H2TestServer server;
  auto config = loopback_config();
  config.outbound_http.h2_server.max_header_list_size = 16 * 1024;
  auto proxy = start_proxy_to(server.endpoint(), config);
  const auto r = curl_h2({"-o", "/dev/null", "-w", "%{http_code}", "-H",
                          "x-big: " + std::string(20000, 'a')},
                         h2_url(proxy->outbound_endpoint(), "/size/10"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "431");
  EXPECT_EQ(server.requests(), 0u);
  // Below the limit passes.
  const auto ok = curl_h2({"-o", "/dev/null", "-w", "%{http_code}", "-H",
                           "x-big: " + std::string(8000, 'a')},
                          h2_url(proxy->outbound_endpoint(), "/size/10"));
  EXPECT_EQ(ok.out, "200");
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "431"},
                               {"error", "bad request"}},
                              1));
  EXPECT_TRUE(wait_for_metric(*proxy, "outbound_http_errors_total", {{"error", "bad request"}}, 1));
}

TEST(H2Errors, DrainSendsShutdownNoticeThenFinalGoaway) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all(client_start() + get_headers(1, "/size/10", h2::kEndStream)));
  ASSERT_TRUE(h2::read_until(c, h2::kData).has_value());
  proxy->drain();
  // The shutdown notice (GOAWAY naming 2^31-1) and a PING, in either order.
  std::optional<h2::Frame> notice;
  std::optional<h2::Frame> ping;
  while (!notice || !ping) {
    auto f = h2::read_frame(c);
    ASSERT_TRUE(f.has_value());
    if (f->type == h2::kGoaway) notice = f;
    if (f->type == h2::kPing && (f->flags & h2::kAck) == 0) ping = f;
  }
  EXPECT_EQ(h2::be32(notice->payload, 0), 0x7fffffffu);
  ASSERT_TRUE(c.send_all(h2::frame(h2::kPing, h2::kAck, 0, ping->payload)));
  const auto last = h2::read_until(c, h2::kGoaway);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(h2::be32(last->payload, 0), 1u);  // the last stream the proxy processed
  EXPECT_EQ(h2::be32(last->payload, 4), 0u);  // NO_ERROR
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);
  // The pooled endpoint connection, now without streams, goes away too.
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections",
                              {{"direction", "outbound"}, {"peer", "dst"}}, 0));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_close_total",
                              {{"direction", "outbound"}, {"peer", "dst"}, {"errno", ""}}, 1));
}

TEST(H2Errors, UnansweredKeepalivePingClosesWithGoaway) {
  H2TestServer server;
  auto config = loopback_config();
  config.outbound_http.h2_server.keep_alive_interval = 100ms;
  config.outbound_http.h2_server.keep_alive_timeout = 200ms;
  auto proxy = start_proxy_to(server.endpoint(), config);
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all(client_start()));
  ASSERT_TRUE(h2::read_until(c, h2::kPing).has_value());
  const auto goaway = h2::read_until(c, h2::kGoaway);
  ASSERT_TRUE(goaway.has_value());
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_NE(end, ReadEnd::timeout);
}

}  // namespace
}  // namespace weft::test
