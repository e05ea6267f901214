// Small in-process TCP servers for tests that need control over the endpoint's behaviour:
// echo, a hashing sink, a server that speaks first and half-closes, and one that resets.
// Each runs its own io_context on its own thread, on 127.0.0.1 with a kernel-chosen port.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace weft::test {

enum class ServerKind {
  echo,         // writes back every byte; half-closes after the client does
  sink_sha256,  // reads to EOF, then writes the lowercase hex SHA-256 of what it read and closes
  speak_first,  // writes "hello\n", half-closes, then reads to EOF and records what it read
  reset,        // accepts and closes with a reset at once
  reset_after_data,  // writes "partial", waits for one byte from the client, then resets
};

class TestServer {
 public:
  explicit TestServer(ServerKind kind);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  /// For speak_first: every byte received on connections that reached EOF, in order of EOF. For
  /// echo: every byte read so far, all connections together (what reached the endpoint).
  std::string received() const;
  std::size_t accepted() const noexcept { return accepted_.load(); }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  ServerKind kind_;
  std::atomic<std::size_t> accepted_{0};
  mutable std::mutex mutex_;
  std::string received_;
  std::thread thread_;
};

/// An address on 127.0.0.1 where nothing listens (bound, then closed).
boost::asio::ip::tcp::endpoint closed_port();

/// Lowercase hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

}  // namespace weft::test
