// HTTP/1 connections that change shape: a WebSocket Upgrade through the proxy (python3-websockets
// on both ends), idle client connections closed after the idle timeout, and drain (a keep-alive
// connection gets `connection: close` on its next response; an idle one closes at once).
#include <gtest/gtest.h>

#include <thread>

#include "support/h1_client.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

TEST(H1Upgrade, WebSocketEchoThroughTheProxy) {
  PyServer ws("ws_echo.py", {"server"});
  ASSERT_TRUE(ws.ok()) << "ws_echo.py did not start";
  auto proxy = start_proxy_to(ws.endpoint());
  const auto r = run_command({"/usr/bin/python3", support_script("ws_echo.py"), "client",
                              "ws://" + addr_label(proxy->outbound_endpoint()) + "/chat", "40"},
                             {}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok 40\n");
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
}

TEST(H1Idle, IdleClientConnectionIsClosed) {
  auto endpoint = h1_endpoint();
  ASSERT_TRUE(endpoint.ok());
  auto config = loopback_config();
  config.tcp_idle_timeout = 200ms;
  auto proxy = start_proxy_to(endpoint.endpoint(), config);
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string pending;
  EXPECT_TRUE(read_response(c, pending).ok);
  ReadEnd end{};
  c.read_to_end(end);  // the proxy ends the idle connection by itself
  EXPECT_EQ(end, ReadEnd::eof);
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {{"peer", "src"}}, 0));
}

TEST(H1Drain, KeepAliveConnectionsCloseAfterTheirNextResponse) {
  auto endpoint = h1_endpoint();
  ASSERT_TRUE(endpoint.ok());
  auto proxy = start_proxy_to(endpoint.endpoint());
  Client busy(proxy->outbound_endpoint());
  Client idle(proxy->outbound_endpoint());
  ASSERT_TRUE(busy.connected());
  ASSERT_TRUE(idle.connected());
  std::string busy_pending, idle_pending;
  ASSERT_TRUE(busy.send_all("GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(idle.send_all("GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(read_response(busy, busy_pending).ok);
  ASSERT_TRUE(read_response(idle, idle_pending).ok);
  // A request in flight when drain starts: its response says close.
  ASSERT_TRUE(busy.send_all("POST /sha256 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab"));
  std::this_thread::sleep_for(50ms);  // the head reaches the endpoint before drain starts
  proxy->drain();
  ReadEnd end{};
  idle.read_to_end(end);  // idle: closed at once
  EXPECT_EQ(end, ReadEnd::eof);
  ASSERT_TRUE(busy.send_all("cd"));
  const auto r = read_response(busy, busy_pending);
  EXPECT_EQ(r.body, "4 " + sha256_hex("abcd") + "\n");
  EXPECT_NE(r.head.find("connection: close"), std::string::npos) << r.head;
  busy.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);
  EXPECT_TRUE(wait_for_no_connections(*proxy));
  // Pooled endpoint connections are closed too.
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {{"peer", "dst"}}, 0));
}

}  // namespace
}  // namespace weft::test
