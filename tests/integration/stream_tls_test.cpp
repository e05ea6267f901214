// net::Stream over real TLS 1.3 on loopback: two Streams talking to each other (handshake,
// concurrent bulk both ways, half-close, a handshake fed the bytes detection read, a peer that
// vanishes), and Streams talking to the real `openssl s_client` and `openssl s_server`.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/process.hpp"
#include "support/random_bytes.hpp"
#include "support/run_coro.hpp"
#include "support/self_signed.hpp"
#include "weft/core/error.hpp"
#include "weft/net/connector.hpp"
#include "weft/net/stream.hpp"

namespace weft::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

class StreamTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // the openssl programs' sockets; Stream itself never raises it
    id_ = make_self_signed("stream.test");
    server_ctx_ = make_server_ctx(id_);
    client_ctx_ = make_client_ctx(id_);
  }

  // A connected loopback pair, prepared as the proxy prepares its sockets.
  std::pair<net::Stream, net::Stream> connected_pair() {
    tcp::acceptor acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client(ioc_);
    client.connect(acceptor.local_endpoint());
    tcp::socket server = acceptor.accept();
    net::prepare_socket(client);
    net::prepare_socket(server);
    return {net::Stream(std::move(client)), net::Stream(std::move(server))};
  }

  // Both handshakes at once; the pair of outcomes.
  asio::awaitable<std::tuple<error_code, error_code>> handshake(net::Stream& client,
                                                                net::Stream& server) {
    co_return co_await (client.handshake(new_ssl(client_ctx_), false) &&
                        server.handshake(new_ssl(server_ctx_), true));
  }

  asio::io_context ioc_;
  SelfSigned id_;
  tls::SslCtxPtr server_ctx_;
  tls::SslCtxPtr client_ctx_;
};

asio::awaitable<error_code> write_all(net::Stream& s, const std::string& bytes) {
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(bytes), kAwait);
  co_return ec;
}

// Reads until EOF or an error, with async_read_some; the error that ended it.
asio::awaitable<error_code> read_to_end(net::Stream& s, std::string& out) {
  char buf[7000];  // not a record size: reads end inside records
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kAwait);
    out.append(buf, n);
    if (ec) co_return ec;
  }
}

// Reads `want` bytes the way the H2 reader and the duplex do: read_some until would_block, then
// async_wait(wait_read).
asio::awaitable<error_code> read_speculatively(net::Stream& s, std::string& out, std::size_t want) {
  std::vector<char> buf(16 * 1024);
  while (out.size() < want) {
    error_code ec;
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      auto [wait_ec] = co_await s.async_wait(tcp::socket::wait_read, kAwait);
      if (wait_ec) co_return wait_ec;
      continue;
    }
    if (ec) co_return ec;
    out.append(buf.data(), n);
  }
  co_return error_code{};
}

TEST_F(StreamTls, HandshakesBothWaysOverTls13AndCarriesBytes) {
  auto [client, server] = connected_pair();
  EXPECT_FALSE(client.tls());
  auto outcome = run_coro(ioc_, handshake(client, server));
  ASSERT_TRUE(outcome);
  const auto [client_ec, server_ec] = *outcome;
  ASSERT_FALSE(client_ec) << client_ec.message();
  ASSERT_FALSE(server_ec) << server_ec.message();
  ASSERT_TRUE(client.tls() && server.tls());
  EXPECT_EQ(SSL_version(client.ssl()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_version(server.ssl()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_get_verify_result(client.ssl()), X509_V_OK);

  auto exchange = [&]() -> asio::awaitable<std::string> {
    co_await write_all(client, "ping");
    std::string got;
    co_await read_speculatively(server, got, 4);
    co_await write_all(server, got == "ping" ? "pong" : "what");
    std::string reply(4, '\0');
    co_await asio::async_read(client, asio::buffer(reply), kAwait);
    co_return got + reply;
  };
  EXPECT_EQ(run_coro(ioc_, exchange()), "pingpong");
}

TEST_F(StreamTls, EightMiBBothWaysConcurrentlyIsByteExact) {
  auto [client, server] = connected_pair();
  auto hs = run_coro(ioc_, handshake(client, server));
  ASSERT_TRUE(hs && !std::get<0>(*hs) && !std::get<1>(*hs));

  const std::string up = random_bytes(8u << 20, 1);
  const std::string down = random_bytes(8u << 20, 2);
  std::string got_up;
  std::string got_down(down.size(), '\0');
  // Each Stream has a read and a write in flight at the same time, for the whole transfer.
  auto transfer = [&]() -> asio::awaitable<std::array<error_code, 4>> {
    auto read_down = [&]() -> asio::awaitable<error_code> {
      auto [ec, n] = co_await asio::async_read(client, asio::buffer(got_down), kAwait);
      co_return ec;
    };
    auto [a, b, c, d] = co_await (write_all(client, up) && read_down() && write_all(server, down) &&
                                  read_speculatively(server, got_up, up.size()));
    co_return std::array<error_code, 4>{a, b, c, d};
  };
  auto outcome = run_coro(ioc_, transfer(), 60s);
  ASSERT_TRUE(outcome) << "transfer hung";
  for (const auto& ec : *outcome) EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(got_up == up) << "client to server bytes differ";
  EXPECT_TRUE(got_down == down) << "server to client bytes differ";
}

TEST_F(StreamTls, HalfCloseLetsTheServerAnswerAfterEof) {
  auto [client, server] = connected_pair();
  auto hs = run_coro(ioc_, handshake(client, server));
  ASSERT_TRUE(hs && !std::get<0>(*hs) && !std::get<1>(*hs));

  auto client_side = [&]() -> asio::awaitable<std::string> {
    co_await write_all(client, "request");
    auto [ec] = co_await client.async_shutdown_send(kAwait);
    EXPECT_FALSE(ec) << ec.message();
    std::string answer;
    const auto end = co_await read_to_end(client, answer);
    EXPECT_EQ(end, asio::error::eof) << end.message();
    co_return answer;
  };
  auto server_side = [&]() -> asio::awaitable<std::string> {
    std::string request;
    const auto end = co_await read_to_end(server, request);
    EXPECT_EQ(end, asio::error::eof) << end.message();
    // The client's direction is over; this one still works.
    co_await write_all(server, "response to " + request);
    error_code ec;
    server.shutdown_send(ec);
    EXPECT_FALSE(ec) << ec.message();
    co_return request;
  };
  auto both = [&]() -> asio::awaitable<std::tuple<std::string, std::string>> {
    co_return co_await (client_side() && server_side());
  };
  auto outcome = run_coro(ioc_, both());
  ASSERT_TRUE(outcome);
  EXPECT_EQ(std::get<0>(*outcome), "response to request");
  EXPECT_EQ(std::get<1>(*outcome), "request");
}

// The server reads the ClientHello's first bytes off the socket (as detection does), then hands
// them to the handshake: the whole record, or only its 5-byte header (the record's body is then
// still on the socket, and OpenSSL reads it there after the prefix).
asio::awaitable<error_code> server_handshake_after_reading(net::Stream& server,
                                                           const tls::SslCtxPtr& ctx,
                                                           bool whole_record) {
  std::vector<std::byte> seen(5);
  auto [ec, n] = co_await asio::async_read(server.socket(), asio::buffer(seen), kAwait);
  if (ec) co_return ec;
  EXPECT_EQ(seen[0], std::byte{0x16});  // a handshake record
  if (whole_record) {
    const auto len = (static_cast<std::size_t>(seen[3]) << 8) | static_cast<std::size_t>(seen[4]);
    seen.resize(5 + len);
    auto [body_ec, m] =
        co_await asio::async_read(server.socket(), asio::buffer(seen.data() + 5, len), kAwait);
    if (body_ec) co_return body_ec;
  }
  co_return co_await server.handshake(new_ssl(ctx), true, seen);
}

TEST_F(StreamTls, HandshakeConsumesTheBytesDetectionAlreadyRead) {
  for (const bool whole_record : {true, false}) {
    SCOPED_TRACE(whole_record ? "whole ClientHello read first" : "its record header read first");
    auto [client, server] = connected_pair();
    auto both = [&]() -> asio::awaitable<std::tuple<error_code, error_code>> {
      co_return co_await (client.handshake(new_ssl(client_ctx_), false) &&
                          server_handshake_after_reading(server, server_ctx_, whole_record));
    };
    auto hs = run_coro(ioc_, both());
    ASSERT_TRUE(hs);
    ASSERT_FALSE(std::get<0>(*hs)) << std::get<0>(*hs).message();
    ASSERT_FALSE(std::get<1>(*hs)) << std::get<1>(*hs).message();
    auto exchange = [&]() -> asio::awaitable<std::string> {
      co_await write_all(client, "after prefix");
      std::string got;
      co_await read_speculatively(server, got, 12);
      co_return got;
    };
    EXPECT_EQ(run_coro(ioc_, exchange()), "after prefix");
  }
}

TEST_F(StreamTls, PeerVanishingMidStreamIsAnErrorNotAHang) {
  // Without close_notify: a TCP end is a truncation, not an end of stream.
  {
    auto [client, server] = connected_pair();
    auto hs = run_coro(ioc_, handshake(client, server));
    ASSERT_TRUE(hs && !std::get<0>(*hs) && !std::get<1>(*hs));
    auto server_reads = [&]() -> asio::awaitable<error_code> {
      std::string got;
      co_return co_await read_to_end(server, got);
    };
    auto vanish = [&]() -> asio::awaitable<error_code> {
      co_await write_all(client, "partial");
      // The TCP stream ends without close_notify (as when the process died). The socket stays
      // open: closing it with the server's session tickets unread would send a reset instead.
      error_code ignored;
      client.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return error_code{};
    };
    auto both = [&]() -> asio::awaitable<std::tuple<error_code, error_code>> {
      co_return co_await (server_reads() && vanish());
    };
    auto outcome = run_coro(ioc_, both());
    ASSERT_TRUE(outcome) << "read hung after the peer closed";
    const auto ec = std::get<0>(*outcome);
    EXPECT_EQ(ec, asio::ssl::error::stream_truncated)
        << ec.message() << ": a truncated stream must not look complete";
  }
  // A reset while the server writes: the write fails.
  {
    auto [client, server] = connected_pair();
    auto hs = run_coro(ioc_, handshake(client, server));
    ASSERT_TRUE(hs && !std::get<0>(*hs) && !std::get<1>(*hs));
    net::reset(client);
    const std::string bulk = random_bytes(1u << 20, 3);
    auto server_writes = [&]() -> asio::awaitable<error_code> {
      for (int i = 0; i < 64; ++i) {
        if (auto ec = co_await write_all(server, bulk)) co_return ec;
      }
      co_return error_code{};
    };
    auto outcome = run_coro(ioc_, server_writes());
    ASSERT_TRUE(outcome) << "write hung after the peer reset";
    EXPECT_TRUE(*outcome);
  }
}

TEST_F(StreamTls, HandshakeEndsOnCancellationOrClose) {
  // The client never speaks TLS: the server's handshake waits until something ends it.
  {
    auto [client, server] = connected_pair();
    auto bounded = [&]() -> asio::awaitable<bool> {
      asio::steady_timer timer(ioc_, 10ms);
      auto outcome =
          co_await (server.handshake(new_ssl(server_ctx_), true) || timer.async_wait(kAwait));
      co_return outcome.index() == 1;
    };
    EXPECT_EQ(run_coro(ioc_, bounded()), true) << "the timeout must win";
  }
  {
    auto [client, server] = connected_pair();
    auto closed = [&]() -> asio::awaitable<std::tuple<error_code, error_code>> {
      auto close_soon = [&]() -> asio::awaitable<error_code> {
        co_await asio::post(ioc_, asio::use_awaitable);  // let the handshake start waiting
        server.close();
        co_return error_code{};
      };
      co_return co_await (server.handshake(new_ssl(server_ctx_), true) && close_soon());
    };
    auto outcome = run_coro(ioc_, closed());
    ASSERT_TRUE(outcome);
    EXPECT_EQ(std::get<0>(*outcome), asio::error::operation_aborted)
        << std::get<0>(*outcome).message();
  }
}

// A directory with the certificate and key as PEM files, for the openssl programs.
struct PemFiles {
  explicit PemFiles(const SelfSigned& id) {
    char tmpl[] = "/tmp/weft-stream-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir / "cert.pem") << id.cert_pem;
    std::ofstream(dir / "key.pem") << id.key_pem;
  }
  ~PemFiles() { std::filesystem::remove_all(dir); }
  std::string cert() const { return (dir / "cert.pem").string(); }
  std::string key() const { return (dir / "key.pem").string(); }
  std::filesystem::path dir;
};

std::string text_lines(std::size_t count, unsigned seed) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::mt19937 rng(seed);
  std::string s;
  for (std::size_t i = 0; i < count; ++i) {
    for (int j = 0; j < 60; ++j) s += kAlphabet[rng() % 36];
    s += '\n';
  }
  return s;
}

TEST_F(StreamTls, OpensslClientTalksToAStreamServer) {
  if (!have_program("openssl")) GTEST_SKIP() << "openssl not installed";
  PemFiles pem(id_);
  tcp::acceptor acceptor(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string payload = text_lines(4000, 4);  // ~240 KiB

  // The server echoes exactly the payload's length, then ends its direction with close_notify.
  auto serve = [&]() -> asio::awaitable<error_code> {
    auto [accept_ec, socket] = co_await acceptor.async_accept(kAwait);
    if (accept_ec) co_return accept_ec;
    net::prepare_socket(socket);
    net::Stream stream(std::move(socket));
    if (auto ec = co_await stream.handshake(new_ssl(server_ctx_), true)) co_return ec;
    std::string got;
    if (auto ec = co_await read_speculatively(stream, got, payload.size())) co_return ec;
    if (auto ec = co_await write_all(stream, got)) co_return ec;
    auto [ec] = co_await stream.async_shutdown_send(kAwait);
    co_return ec;
  };
  CommandResult result;
  std::thread client([&] {
    result = run_command({"openssl", "s_client", "-connect",
                          fmt::format("127.0.0.1:{}", acceptor.local_endpoint().port()), "-tls1_3",
                          "-quiet", "-nocommands", "-CAfile", pem.cert(), "-verify_return_error"},
                         payload, 30s);
  });
  auto outcome = run_coro(ioc_, serve(), 30s);
  client.join();
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(*outcome) << outcome->message();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out == payload)
      << "s_client got " << result.out.size() << " bytes of " << payload.size() << "\n"
      << result.err;
}

TEST_F(StreamTls, StreamClientTalksToOpensslServer) {
  if (!have_program("openssl")) GTEST_SKIP() << "openssl not installed";
  PemFiles pem(id_);
  // -rev answers each line reversed; stdout (where it says its port) goes to the log file.
  ChildProcess server({"sh", "-c",
                       fmt::format("exec openssl s_server -accept 127.0.0.1:0 -cert {} -key {} "
                                   "-tls1_3 -rev -naccept 1 1>&2",
                                   pem.cert(), pem.key())},
                      {});
  const auto port = server.wait_for_log("ACCEPT 127.0.0.1:", 10s);
  ASSERT_TRUE(port) << server.stderr_text();

  const std::string lines = text_lines(2000, 5);
  std::string expected;
  for (std::size_t at = 0; at < lines.size(); at += 61) {
    std::string line = lines.substr(at, 60);
    expected.append(line.rbegin(), line.rend());
    expected += '\n';
  }
  auto talk = [&]() -> asio::awaitable<std::string> {
    tcp::socket socket(ioc_);
    auto [connect_ec] = co_await socket.async_connect(
        {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(*port))},
        kAwait);
    EXPECT_FALSE(connect_ec) << connect_ec.message();
    net::prepare_socket(socket);
    net::Stream stream(std::move(socket));
    const auto hs = co_await stream.handshake(new_ssl(client_ctx_), false);
    EXPECT_FALSE(hs) << hs.message();
    if (hs) co_return std::string{};
    EXPECT_EQ(SSL_get_verify_result(stream.ssl()), X509_V_OK);
    std::string got;
    auto [write_ec, read_ec] =
        co_await (write_all(stream, lines) && read_speculatively(stream, got, expected.size()));
    EXPECT_FALSE(write_ec) << write_ec.message();
    EXPECT_FALSE(read_ec) << read_ec.message();
    auto [shutdown_ec] = co_await stream.async_shutdown_send(kAwait);
    EXPECT_FALSE(shutdown_ec) << shutdown_ec.message();
    co_return got;
  };
  auto got = run_coro(ioc_, talk(), 30s);
  ASSERT_TRUE(got);
  EXPECT_TRUE(*got == expected) << "got " << got->size() << " bytes of " << expected.size();
  EXPECT_EQ(server.wait(10s), 0) << server.stderr_text();
}

}  // namespace
}  // namespace weft::test
