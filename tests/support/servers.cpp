#include "support/servers.hpp"

#include <openssl/evp.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>

namespace weft::test {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::string hex(const unsigned char* data, unsigned len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

asio::awaitable<void> sink(tcp::socket s) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::array<char, 65536> buf;
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kAwait);
    if (ec == asio::error::eof) break;
    if (ec) co_return;
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  const auto digest = hex(md, len);
  co_await asio::async_write(s, asio::buffer(digest), kAwait);
  boost::system::error_code ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

TestServer::TestServer(ServerKind kind)
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      endpoint_(acceptor_.local_endpoint()),
      kind_(kind) {
  acceptor_.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(
      ioc_,
      [this]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, s] = co_await acceptor_.async_accept(kAwait);
          if (ec) co_return;
          ++accepted_;
          switch (kind_) {
            case ServerKind::echo:
              asio::co_spawn(
                  ioc_,
                  [this, s = std::move(s)]() mutable -> asio::awaitable<void> {
                    std::array<char, 16384> buf;
                    for (;;) {
                      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kAwait);
                      if (ec) break;
                      {
                        std::lock_guard lock(mutex_);
                        received_.append(buf.data(), n);
                      }
                      auto [wec, w] =
                          co_await asio::async_write(s, asio::buffer(buf.data(), n), kAwait);
                      if (wec) co_return;
                    }
                    boost::system::error_code ignored;
                    s.shutdown(tcp::socket::shutdown_send, ignored);
                  },
                  asio::detached);
              break;
            case ServerKind::sink_sha256:
              asio::co_spawn(ioc_, sink(std::move(s)), asio::detached);
              break;
            case ServerKind::reset: {
              boost::system::error_code ignored;
              s.set_option(asio::socket_base::linger(true, 0), ignored);
              s.close(ignored);
              break;
            }
            case ServerKind::reset_after_data:
              asio::co_spawn(
                  ioc_,
                  [s = std::move(s)]() mutable -> asio::awaitable<void> {
                    co_await asio::async_write(s, asio::buffer(std::string_view("partial")),
                                               kAwait);
                    char byte;
                    co_await asio::async_read(s, asio::buffer(&byte, 1), kAwait);
                    boost::system::error_code ignored;
                    s.set_option(asio::socket_base::linger(true, 0), ignored);
                    s.close(ignored);
                  },
                  asio::detached);
              break;
            case ServerKind::speak_first:
              asio::co_spawn(
                  ioc_,
                  [this, s = std::move(s)]() mutable -> asio::awaitable<void> {
                    co_await asio::async_write(s, asio::buffer(std::string_view("hello\n")),
                                               kAwait);
                    boost::system::error_code ignored;
                    s.shutdown(tcp::socket::shutdown_send, ignored);
                    std::string got;
                    auto [ec2, n] = co_await asio::async_read(s, asio::dynamic_buffer(got), kAwait);
                    if (ec2 == asio::error::eof) {
                      std::lock_guard lock(mutex_);
                      received_ += got;
                    }
                  },
                  asio::detached);
              break;
          }
        }
      },
      asio::detached);
  thread_ = std::thread([this] { ioc_.run(); });
}

TestServer::~TestServer() {
  ioc_.stop();
  thread_.join();
}

std::string TestServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

tcp::endpoint closed_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint();
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, len);
}

}  // namespace weft::test
