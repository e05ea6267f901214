// Opaque TCP through the whole proxy in-process: echo, a 100 MB byte-exact transfer, half-close
// both ways, 1,000 concurrent connections, refused/reset/unresponsive endpoints, idle timeout and
// loop prevention; each checked through the client and through the proxy's tcp_* metrics.
#include <gtest/gtest.h>

#include <random>

#include "support/client.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"
#include "weft/core/error.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using Labels = std::map<std::string, std::string>;

TEST(TcpForward, EchoThroughInboundAndOutbound) {
  TestServer server(ServerKind::echo);
  auto proxy = start_proxy_to(server.endpoint());
  for (const auto& listener : {proxy->inbound_endpoint(), proxy->outbound_endpoint()}) {
    Client c(listener);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send_all("ping\n"));
    EXPECT_EQ(c.read_exactly(5), "ping\n");
  }
  const auto target = addr_label(server.endpoint());
  for (const char* dir : {"inbound", "outbound"}) {
    for (const char* peer : {"src", "dst"}) {
      EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_total",
                                  {{"direction", dir}, {"peer", peer}, {"target_addr", target}},
                                  1));
      EXPECT_TRUE(
          wait_for_metric(*proxy, "tcp_read_bytes_total", {{"direction", dir}, {"peer", peer}}, 5));
      EXPECT_TRUE(wait_for_metric(*proxy, "tcp_write_bytes_total",
                                  {{"direction", dir}, {"peer", peer}}, 5));
    }
  }
  const auto text = proxy->registry().render();
  EXPECT_EQ(metric_value(text, "tcp_open_total",
                         {{"direction", "inbound"},
                          {"peer", "src"},
                          {"tls", "no_identity"},
                          {"no_tls_reason", "no_tls_from_remote"}}),
            1);
  EXPECT_EQ(metric_value(text, "tcp_open_total",
                         {{"direction", "outbound"},
                          {"peer", "dst"},
                          {"no_tls_reason", "not_provided_by_service_discovery"}}),
            1);
}

TEST(TcpForward, HundredMegabytesArriveByteExact) {
  TestServer sink(ServerKind::sink_sha256);
  auto proxy = start_proxy_to(sink.endpoint());
  Client c(proxy->outbound_endpoint(), 60s);
  ASSERT_TRUE(c.connected());

  constexpr std::size_t kTotal = 100u * 1024 * 1024;
  constexpr std::size_t kChunk = 1024 * 1024;
  std::mt19937_64 rng(42);
  std::string chunk(kChunk, '\0');
  std::string all;
  all.reserve(kTotal);
  for (std::size_t sent = 0; sent < kTotal; sent += kChunk) {
    for (std::size_t i = 0; i < kChunk; i += 8) {
      const auto v = rng();
      std::memcpy(chunk.data() + i, &v, 8);
    }
    all += chunk;
    ASSERT_TRUE(c.send_all(chunk));
  }
  c.shutdown_write();
  ReadEnd end{};
  EXPECT_EQ(c.read_to_end(end), sha256_hex(all));
  EXPECT_EQ(end, ReadEnd::eof);
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_read_bytes_total",
                              {{"direction", "outbound"}, {"peer", "src"}},
                              static_cast<double>(kTotal)));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_write_bytes_total",
                              {{"direction", "outbound"}, {"peer", "dst"}},
                              static_cast<double>(kTotal)));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
}

TEST(TcpForward, ClientHalfCloseStillGetsTheResponse) {
  TestServer sink(ServerKind::sink_sha256);
  auto proxy = start_proxy_to(sink.endpoint());
  Client c(proxy->inbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("half-closed request"));
  c.shutdown_write();  // the sink answers only after it sees EOF, which the proxy must pass on
  ReadEnd end{};
  EXPECT_EQ(c.read_to_end(end), sha256_hex("half-closed request"));
  EXPECT_EQ(end, ReadEnd::eof);
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_close_total", {{"peer", "src"}, {"errno", ""}}, 1));
}

TEST(TcpForward, EndpointHalfCloseStillTakesTheRequest) {
  TestServer server(ServerKind::speak_first);
  auto proxy = start_proxy_to(server.endpoint());
  Client c(proxy->inbound_endpoint());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.read_exactly(6), "hello\n");
  ReadEnd end{};
  EXPECT_EQ(c.read_to_end(end), "");  // the endpoint's EOF reaches the client ...
  EXPECT_EQ(end, ReadEnd::eof);
  ASSERT_TRUE(c.send_all("still writing"));  // ... while the other direction stays open
  c.shutdown_write();
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
  EXPECT_EQ(server.received(), "still writing");
}

TEST(TcpForward, ThousandConcurrentConnections) {
  TestServer server(ServerKind::echo);
  auto config = loopback_config();
  config.cores = 2;
  auto proxy = start_proxy_to(server.endpoint(), config);
  std::vector<Client> clients;
  clients.reserve(1000);
  for (int i = 0; i < 1000; ++i) {
    clients.emplace_back(proxy->outbound_endpoint());
    ASSERT_TRUE(clients.back().connected()) << "connection " << i;
  }
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(clients[i].send_all("conn-" + std::to_string(1000 + i)));
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(clients[i].read_exactly(9), "conn-" + std::to_string(1000 + i));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {{"peer", "src"}}, 1000));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {{"peer", "dst"}}, 1000));
  clients.clear();
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_close_total", {{"peer", "dst"}}, 1000));
  EXPECT_TRUE(wait_for_no_connections(*proxy));
}

TEST(TcpForward, RefusedEndpointResetsTheClient) {
  const auto nowhere = closed_port();
  auto proxy = start_proxy_to(nowhere);
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::reset);
  EXPECT_TRUE(wait_for_metric(
      *proxy, "tcp_close_total",
      {{"peer", "src"}, {"errno", "ECONNREFUSED"}, {"target_addr", addr_label(nowhere)}}, 1));
  EXPECT_EQ(metric_value(proxy->registry().render(), "tcp_open_total", {{"peer", "dst"}}), 0);
}

TEST(TcpForward, ResettingEndpointResetsTheClient) {
  TestServer server(ServerKind::reset);
  auto proxy = start_proxy_to(server.endpoint());
  Client c(proxy->inbound_endpoint());
  ASSERT_TRUE(c.connected());
  c.send_all("anything");
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::reset);
  // The reset is counted once: on the endpoint's side, or on the client's when it arrived before
  // the proxy saw its connect complete (then the connect itself fails with ECONNRESET).
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_close_total", {{"errno", "ECONNRESET"}}, 1))
      << proxy->registry().render();
}

// An endpoint that resets after sending data: the client gets the data, then a reset, never a
// clean EOF that would make a truncated reply look complete.
TEST(TcpForward, EndpointResetMidStreamReachesTheClientAsAReset) {
  TestServer server(ServerKind::reset_after_data);
  auto proxy = start_proxy_to(server.endpoint());
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.read_exactly(7), "partial");
  ASSERT_TRUE(c.send_all("!"));
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::reset);
  EXPECT_TRUE(
      wait_for_metric(*proxy, "tcp_close_total", {{"peer", "dst"}, {"errno", "ECONNRESET"}}, 1));
}

TEST(TcpForward, UnresponsiveEndpointHitsTheConnectTimeout) {
  // A listener that never accepts: once its backlog is full, the kernel drops further SYNs, so the
  // proxy's connect stays pending until the connect timeout.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor full(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  full.listen(0);
  std::vector<Client> fillers;
  for (int i = 0; i < 4; ++i) fillers.emplace_back(full.local_endpoint(), 1s);
  auto config = loopback_config();
  config.outbound_connect_timeout = 200ms;
  auto proxy = start_proxy_to(full.local_endpoint(), config);
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::reset);
  EXPECT_TRUE(
      wait_for_metric(*proxy, "tcp_close_total", {{"peer", "src"}, {"errno", "ETIMEDOUT"}}, 1));
}

TEST(TcpForward, IdleConnectionIsClosed) {
  TestServer server(ServerKind::echo);
  auto config = loopback_config();
  config.tcp_idle_timeout = 200ms;
  auto proxy = start_proxy_to(server.endpoint(), config);
  Client c(proxy->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("x"));
  EXPECT_EQ(c.read_exactly(1), "x");
  ReadEnd end{};
  c.read_to_end(end);  // nothing more is sent: the proxy must end the connection by itself
  EXPECT_EQ(end, ReadEnd::reset);
  EXPECT_TRUE(
      wait_for_metric(*proxy, "tcp_close_total", {{"peer", "src"}, {"errno", "ETIMEDOUT"}}, 1));
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
}

// Answers the listener's own address, as SO_ORIGINAL_DST does for a connection made straight to
// the inbound port.
class SelfOrigDst final : public net::OrigDst {
 public:
  result<boost::asio::ip::tcp::endpoint> resolve(
      const boost::asio::ip::tcp::socket& s) const override {
    return s.local_endpoint();
  }
};

TEST(TcpForward, ConnectionToTheProxyItselfIsRefused) {
  auto proxy = start_proxy(loopback_config(), std::make_unique<SelfOrigDst>(),
                           std::make_unique<SelfOrigDst>());
  for (const auto& listener : {proxy->inbound_endpoint(), proxy->outbound_endpoint()}) {
    Client c(listener);
    ASSERT_TRUE(c.connected());
    ReadEnd end{};
    c.read_to_end(end);
    EXPECT_EQ(end, ReadEnd::reset);
  }
  EXPECT_EQ(metric_value(proxy->registry().render(), "tcp_open_total", {}), 0);
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
  EXPECT_TRUE(wait_for_no_connections(*proxy));
}

class NoOrigDst final : public net::OrigDst {
 public:
  result<boost::asio::ip::tcp::endpoint> resolve(
      const boost::asio::ip::tcp::socket&) const override {
    return make_error_code(errc::no_original_dst);
  }
};

TEST(TcpForward, ConnectionWithoutOriginalDestinationIsReset) {
  auto proxy = start_proxy(loopback_config(), std::make_unique<NoOrigDst>(),
                           std::make_unique<net::SocketOrigDst>());
  // Both have no redirect: the seam says so for inbound, the kernel for outbound.
  for (const auto& listener : {proxy->inbound_endpoint(), proxy->outbound_endpoint()}) {
    Client c(listener);
    ASSERT_TRUE(c.connected());
    ReadEnd end{};
    c.read_to_end(end);
    EXPECT_EQ(end, ReadEnd::reset);
  }
}

}  // namespace
}  // namespace weft::test

namespace weft::test {
namespace {

TEST(TcpForward, DualStackListeners) {
  TestServer server(ServerKind::echo);
  auto config = loopback_config();
  config.inbound_listen = {boost::asio::ip::make_address("::"), 0};
  config.outbound_listen = {{boost::asio::ip::make_address("127.0.0.1"), 0},
                            {boost::asio::ip::make_address("::1"), 0}};
  auto proxy = start_proxy_to(server.endpoint(), config);
  const auto outbound = proxy->outbound_endpoints();
  ASSERT_EQ(outbound.size(), 2u);
  const auto inbound_port = proxy->inbound_endpoint().port();
  const std::vector<boost::asio::ip::tcp::endpoint> listeners = {
      outbound[0],
      outbound[1],
      {boost::asio::ip::make_address("127.0.0.1"), inbound_port},  // v4-mapped on a [::] listener
      {boost::asio::ip::make_address("::1"), inbound_port}};
  for (const auto& listener : listeners) {
    Client c(listener);
    ASSERT_TRUE(c.connected()) << listener;
    ASSERT_TRUE(c.send_all("dual"));
    EXPECT_EQ(c.read_exactly(4), "dual") << listener;
  }
  EXPECT_TRUE(wait_for_metric(*proxy, "tcp_open_total", {{"peer", "dst"}}, 4));
}

}  // namespace
}  // namespace weft::test
