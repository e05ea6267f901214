// net::duplex with a TLS side, over real loopback sockets on a test io_context: the userspace
// copy path must forward byte-exact both ways, pass half-close on as close_notify plus FIN, and
// pass a truncated TLS stream on as a failure.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <random>

#include "support/random_bytes.hpp"
#include "support/run_coro.hpp"
#include "support/self_signed.hpp"
#include "support/servers.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/connector.hpp"
#include "weft/net/duplex.hpp"
#include "weft/net/stream.hpp"

namespace weft::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Writes everything, then ends the direction (close_notify over TLS).
asio::awaitable<error_code> send_and_close(net::Stream& s, const std::string& bytes) {
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(bytes), kAwait);
  if (ec) co_return ec;
  auto [shutdown_ec] = co_await s.async_shutdown_send(kAwait);
  co_return shutdown_ec;
}

asio::awaitable<error_code> read_to_end(net::Stream& s, std::string& out) {
  std::vector<char> buf(9000);
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kAwait);
    out.append(buf.data(), n);
    if (ec) co_return ec;
  }
}

asio::awaitable<net::Stream> connect_stream(const tcp::endpoint& to) {
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [ec] = co_await socket.async_connect(to, kAwait);
  EXPECT_FALSE(ec) << ec.message();
  net::prepare_socket(socket);
  co_return net::Stream(std::move(socket));
}

asio::awaitable<net::Stream> accept_stream(tcp::acceptor& acceptor) {
  auto [ec, socket] = co_await acceptor.async_accept(kAwait);
  EXPECT_FALSE(ec) << ec.message();
  net::prepare_socket(socket);
  co_return net::Stream(std::move(socket));
}

class DuplexTls : public ::testing::Test {
 protected:
  DuplexTls()
      : id_(make_self_signed("duplex.test")),
        server_ctx_(make_server_ctx(id_)),
        client_ctx_(make_client_ctx(id_)) {}

  // Runs the duplex between two streams with fresh metrics handles.
  asio::awaitable<net::DuplexOutcome> run_duplex(net::Stream& client, net::Stream& endpoint) {
    const tcp::endpoint target{asio::ip::make_address("127.0.0.1"), 1};
    auto client_metrics = registry_.shard(0).open_tcp(
        {metrics::Direction::inbound, metrics::Peer::src, target, metrics::TlsRef::no_identity("test")});
    auto endpoint_metrics = registry_.shard(0).open_tcp(
        {metrics::Direction::inbound, metrics::Peer::dst, target, metrics::TlsRef::no_identity("test")});
    co_return co_await net::duplex({client, client_metrics}, {endpoint, endpoint_metrics},
                                   {buffers_, pipes_}, 30s);
  }

  asio::io_context ioc_;
  SelfSigned id_;
  tls::SslCtxPtr server_ctx_;
  tls::SslCtxPtr client_ctx_;
  net::BufferPool buffers_;
  net::PipePool pipes_;
  metrics::Registry registry_{1};
};

TEST_F(DuplexTls, TlsClientToPlaintextEndpointIsByteExactWithHalfClose) {
  TestServer echo(ServerKind::echo);
  tcp::acceptor acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string payload = random_bytes(8u << 20, 11);

  // The proxy: terminate TLS, connect in plaintext, duplex.
  auto proxy = [&]() -> asio::awaitable<net::DuplexOutcome> {
    auto client = co_await accept_stream(acceptor);
    const auto hs = co_await client.handshake(new_ssl(server_ctx_), true);
    EXPECT_FALSE(hs) << hs.message();
    auto socket = co_await net::connect(echo.endpoint(), 2s);
    EXPECT_TRUE(socket);
    net::Stream endpoint(std::move(*socket));
    co_return co_await run_duplex(client, endpoint);
  };
  // The client: 8 MiB out and, at the same time, the echo back; then its half-close comes back
  // through the echo as the end of the stream.
  std::string echoed;
  auto client = [&]() -> asio::awaitable<std::tuple<error_code, error_code>> {
    auto stream = co_await connect_stream(acceptor.local_endpoint());
    const auto hs = co_await stream.handshake(new_ssl(client_ctx_), false);
    EXPECT_FALSE(hs) << hs.message();
    co_return co_await (send_and_close(stream, payload) && read_to_end(stream, echoed));
  };
  auto both =
      [&]() -> asio::awaitable<std::tuple<net::DuplexOutcome, std::tuple<error_code, error_code>>> {
    co_return co_await (proxy() && client());
  };
  auto outcome = run_coro(ioc_, both(), 60s);
  ASSERT_TRUE(outcome) << "duplex hung";
  const auto& [duplex, ends] = *outcome;
  EXPECT_FALSE(std::get<0>(ends)) << std::get<0>(ends).message();
  EXPECT_EQ(std::get<1>(ends), asio::error::eof) << std::get<1>(ends).message();
  EXPECT_FALSE(duplex.client_error) << duplex.client_error.message();
  EXPECT_FALSE(duplex.endpoint_error) << duplex.endpoint_error.message();
  EXPECT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload) << "echoed bytes differ";
  EXPECT_EQ(pipes_.free_count(), 0u);    // no splice with a TLS side
  EXPECT_GE(buffers_.free_count(), 1u);  // the buffers went back once the bytes were through
}

TEST_F(DuplexTls, PlaintextClientToTlsEndpointIsByteExactWithHalfClose) {
  tcp::acceptor proxy_acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::acceptor endpoint_acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string payload = random_bytes(8u << 20, 12);

  // The endpoint: a TLS echo that half-closes after its client does.
  auto tls_echo = [&]() -> asio::awaitable<error_code> {
    auto stream = co_await accept_stream(endpoint_acceptor);
    if (auto ec = co_await stream.handshake(new_ssl(server_ctx_), true)) co_return ec;
    std::vector<char> buf(16 * 1024);
    for (;;) {
      auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(buf), kAwait);
      auto [write_ec, m] = co_await asio::async_write(stream, asio::buffer(buf.data(), n), kAwait);
      if (write_ec) co_return write_ec;
      if (read_ec == asio::error::eof) break;
      if (read_ec) co_return read_ec;
    }
    auto [ec] = co_await stream.async_shutdown_send(kAwait);
    co_return ec;
  };
  // The proxy: plaintext client, TLS to the endpoint.
  auto proxy = [&]() -> asio::awaitable<net::DuplexOutcome> {
    auto client = co_await accept_stream(proxy_acceptor);
    auto endpoint = co_await connect_stream(endpoint_acceptor.local_endpoint());
    const auto hs = co_await endpoint.handshake(new_ssl(client_ctx_), false);
    EXPECT_FALSE(hs) << hs.message();
    co_return co_await run_duplex(client, endpoint);
  };
  std::string echoed;
  auto client = [&]() -> asio::awaitable<std::tuple<error_code, error_code>> {
    auto stream = co_await connect_stream(proxy_acceptor.local_endpoint());
    co_return co_await (send_and_close(stream, payload) && read_to_end(stream, echoed));
  };
  auto all =
      [&]() -> asio::awaitable<
                std::tuple<error_code, net::DuplexOutcome, std::tuple<error_code, error_code>>> {
    co_return co_await (tls_echo() && proxy() && client());
  };
  auto outcome = run_coro(ioc_, all(), 60s);
  ASSERT_TRUE(outcome) << "duplex hung";
  const auto& [echo_ec, duplex, ends] = *outcome;
  EXPECT_FALSE(echo_ec) << echo_ec.message();
  EXPECT_FALSE(std::get<0>(ends)) << std::get<0>(ends).message();
  EXPECT_EQ(std::get<1>(ends), asio::error::eof) << std::get<1>(ends).message();
  EXPECT_FALSE(duplex.client_error) << duplex.client_error.message();
  EXPECT_FALSE(duplex.endpoint_error) << duplex.endpoint_error.message();
  EXPECT_TRUE(echoed == payload) << "echoed " << echoed.size() << " bytes of " << payload.size();
  EXPECT_EQ(pipes_.free_count(), 0u);
}

TEST_F(DuplexTls, TruncatedTlsClientResetsTheEndpoint) {
  tcp::acceptor proxy_acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::acceptor endpoint_acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});

  // The endpoint reads until its stream ends, and says how.
  auto endpoint_side = [&]() -> asio::awaitable<error_code> {
    auto stream = co_await accept_stream(endpoint_acceptor);
    std::string got;
    co_return co_await read_to_end(stream, got);
  };
  auto proxy = [&]() -> asio::awaitable<net::DuplexOutcome> {
    auto client = co_await accept_stream(proxy_acceptor);
    const auto hs = co_await client.handshake(new_ssl(server_ctx_), true);
    EXPECT_FALSE(hs) << hs.message();
    auto endpoint = co_await connect_stream(endpoint_acceptor.local_endpoint());
    co_return co_await run_duplex(client, endpoint);
  };
  // The client sends a little and ends its TCP stream without close_notify. (It stays open until
  // the end: closing it with the server's session tickets unread would send a reset instead.)
  std::optional<net::Stream> stream;
  auto client = [&]() -> asio::awaitable<error_code> {
    stream.emplace(co_await connect_stream(proxy_acceptor.local_endpoint()));
    if (auto ec = co_await stream->handshake(new_ssl(client_ctx_), false)) co_return ec;
    auto [ec, n] =
        co_await asio::async_write(*stream, asio::buffer(std::string("partial")), kAwait);
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return ec;
  };
  auto all = [&]() -> asio::awaitable<std::tuple<error_code, net::DuplexOutcome, error_code>> {
    co_return co_await (endpoint_side() && proxy() && client());
  };
  auto outcome = run_coro(ioc_, all(), 30s);
  ASSERT_TRUE(outcome) << "duplex hung";
  const auto& [endpoint_end, duplex, client_ec] = *outcome;
  EXPECT_FALSE(client_ec) << client_ec.message();
  EXPECT_EQ(duplex.client_error, asio::ssl::error::stream_truncated)
      << duplex.client_error.message();
  EXPECT_EQ(endpoint_end, asio::error::connection_reset)
      << endpoint_end.message() << ": the endpoint must not see a clean end";
}

}  // namespace
}  // namespace weft::test
