// net::duplex on its own, over real loopback sockets on a test io_context: the copy path that
// takes over when no pipe can be had (out of descriptors) must forward as exactly as splice does.
#include "weft/net/duplex.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <random>
#include <thread>

#include "support/servers.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/connector.hpp"

namespace weft::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

TEST(Duplex, CopyFallbackWithoutPipesIsByteExactWithHalfClose) {
  TestServer sink(ServerKind::sink_sha256);
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  net::BufferPool buffers;
  net::PipePool pipes;
  pipes.exhaust_for_test();
  metrics::Registry registry(1);

  // The proxy side: accept one client, connect to the sink, run the duplex.
  auto proxied = asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<net::DuplexOutcome> {
        auto client = co_await acceptor.async_accept(asio::use_awaitable);
        net::prepare_socket(client);
        auto endpoint = co_await net::connect(sink.endpoint(), 2s);
        EXPECT_TRUE(endpoint);
        auto client_metrics =
            registry.shard(0).open_tcp({metrics::Direction::outbound, metrics::Peer::src,
                                        sink.endpoint(), metrics::TlsRef::no_identity("loopback")});
        auto endpoint_metrics =
            registry.shard(0).open_tcp({metrics::Direction::outbound, metrics::Peer::dst,
                                        sink.endpoint(), metrics::TlsRef::no_identity("loopback")});
        net::Stream client_stream(std::move(client));
        net::Stream endpoint_stream(std::move(*endpoint));
        co_return co_await net::duplex({client_stream, client_metrics},
                                       {endpoint_stream, endpoint_metrics}, {buffers, pipes},
                                       std::chrono::seconds(30));
      },
      asio::use_future);
  std::thread loop([&] { ioc.run(); });

  // The client side: 8 MB, then half-close, then read the sink's digest.
  asio::io_context client_ioc;
  tcp::socket client(client_ioc);
  client.connect(acceptor.local_endpoint());
  std::string payload(8u << 20, '\0');
  std::mt19937 rng(7);
  for (auto& c : payload) c = static_cast<char>(rng());
  asio::write(client, asio::buffer(payload));
  client.shutdown(tcp::socket::shutdown_send);
  std::string digest;
  boost::system::error_code ec;
  asio::read(client, asio::dynamic_buffer(digest), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(digest, sha256_hex(payload));

  ASSERT_EQ(proxied.wait_for(10s), std::future_status::ready);
  const auto outcome = proxied.get();
  EXPECT_FALSE(outcome.client_error) << outcome.client_error.message();
  EXPECT_FALSE(outcome.endpoint_error) << outcome.endpoint_error.message();
  EXPECT_EQ(buffers.free_count(), 1u);  // the one buffer went back when the copies finished
  ioc.stop();
  loop.join();
}

}  // namespace
}  // namespace weft::test
