// Protocol detection on the data path: what each kind of client is classified as, that the bytes
// read for detection reach the endpoint exactly, and that opaque ports and server-speaks-first
// protocols are not stalled.
#include <gtest/gtest.h>

#include <thread>

#include "support/client.hpp"
#include "support/h1_client.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

// Sends `parts` with a pause between them, half-closes, and returns the sink's digest.
std::string send_in_parts(const boost::asio::ip::tcp::endpoint& listener,
                          std::initializer_list<std::string_view> parts) {
  Client c(listener);
  EXPECT_TRUE(c.connected());
  for (auto part : parts) {
    EXPECT_TRUE(c.send_all(part));
    std::this_thread::sleep_for(20ms);  // separate segments: the proxy must see separate reads
  }
  c.shutdown_write();
  ReadEnd end{};
  return c.read_to_end(end);
}

TEST(Detect, Http1RequestIsDetectedAndServedAsHttp) {
  auto endpoint = h1_endpoint();
  ASSERT_TRUE(endpoint.ok());
  auto proxy = start_proxy_to(endpoint.endpoint());
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  // Split across reads: detection's bytes are the start of the request the proxy parses.
  ASSERT_TRUE(c.send_all("GET /bytes/3 HT"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send_all("TP/1.1\r\nHost: web\r\n\r\n"));
  std::string pending;
  const auto r = read_response(c, pending);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, std::string("\0\1\2", 3));
  EXPECT_TRUE(wait_for_metric(*proxy, "outbound_tcp_detect_http_total", {{"result", "http/1"}}, 1));
}

TEST(Detect, Http2PrefaceSplitAcrossReadsIsDetectedAndServedAsHttp2) {
  TestServer sink(ServerKind::sink_sha256);
  auto config = loopback_config();
  config.inbound_detect_timeout = 10s;
  auto proxy = start_proxy_to(sink.endpoint(), config);
  // The whole preface reaches the proxy's HTTP/2 server session, which answers with SETTINGS.
  const auto answer =
      send_in_parts(proxy->inbound_endpoint(), {"PRI * ", "HTTP/2.0\r\n", "\r\nSM\r\n\r\n"});
  ASSERT_GE(answer.size(), 9u);
  EXPECT_EQ(answer[3], '\x04');  // a SETTINGS frame
  EXPECT_TRUE(wait_for_metric(*proxy, "inbound_tcp_detect_http_total", {{"result", "http/2"}}, 1));
}

TEST(Detect, BinaryProtocolIsOpaqueAtOnce) {
  TestServer server(ServerKind::echo);
  auto config = loopback_config();
  config.outbound_detect_timeout = 10s;
  auto proxy = start_proxy_to(server.endpoint(), config);
  Client c(proxy->outbound_endpoint(), 2s);  // far below the detect timeout
  ASSERT_TRUE(c.connected());
  const std::string hello("\x16\x03\x01\x00\x05hello", 10);
  ASSERT_TRUE(c.send_all(hello));
  EXPECT_EQ(c.read_exactly(hello.size()), hello);
  EXPECT_TRUE(
      wait_for_metric(*proxy, "outbound_tcp_detect_http_total", {{"result", "not_http"}}, 1));
}

TEST(Detect, ServerSpeaksFirstOnAnOpaquePortHasNoStall) {
  TestServer server(ServerKind::speak_first);
  auto config = loopback_config();
  config.outbound_detect_timeout = 10s;
  config.outbound_opaque_ports = {{server.endpoint().port(), server.endpoint().port()}};
  auto proxy = start_proxy_to(server.endpoint(), config);
  Client c(proxy->outbound_endpoint(), 2s);  // a stall would be the 10 s detect timeout
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.read_exactly(6), "hello\n");
  c.shutdown_write();
  EXPECT_EQ(metric_value(proxy->registry().render(), "outbound_tcp_detect_http_total"), 0);
}

TEST(Detect, SilentClientTimesOutIntoOpaqueAndIsCounted) {
  TestServer server(ServerKind::speak_first);
  auto proxy = start_proxy_to(server.endpoint());  // detect timeout 300 ms
  Client c(proxy->inbound_endpoint());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.read_exactly(6), "hello\n");  // arrives once detection gives up
  EXPECT_TRUE(
      wait_for_metric(*proxy, "inbound_tcp_detect_http_total", {{"result", "read_timeout"}}, 1));
  EXPECT_TRUE(wait_for_metric(*proxy, "inbound_tcp_detect_http_duration_seconds_count", {}, 1));
  EXPECT_EQ(metric_value(proxy->registry().render(),
                         "inbound_tcp_detect_http_duration_seconds_bucket", {{"le", "0.1"}}),
            0);
}

TEST(Detect, ClientThatClosesBeforeSendingIsNotForwarded) {
  TestServer server(ServerKind::echo);
  auto proxy = start_proxy_to(server.endpoint());
  {
    Client c(proxy->outbound_endpoint());
    ASSERT_TRUE(c.connected());
  }
  EXPECT_TRUE(wait_for_metric(*proxy, "outbound_tcp_detect_http_total", {{"result", "error"}}, 1));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_close_total", {{"peer", "src"}}, 1));
  EXPECT_EQ(metric_value(proxy->registry().render(), "tcp_open_total", {{"peer", "dst"}}), 0);
  EXPECT_EQ(server.accepted(), 0u);
}

}  // namespace
}  // namespace weft::test
