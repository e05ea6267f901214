// A blocking test client over a raw socket, with every wait bounded: tests assert on what a real
// TCP peer sees (data, EOF, reset) and never hang.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace weft::test {

enum class ReadEnd { eof, reset, timeout, other_error };

class Client {
 public:
  /// Connects with a 5 s bound; check connected() after.
  explicit Client(const boost::asio::ip::tcp::endpoint& target,
                  std::chrono::milliseconds io_timeout = std::chrono::seconds(10));
  ~Client();
  Client(Client&& other) noexcept;
  Client(const Client&) = delete;

  bool connected() const noexcept { return fd_ >= 0 && connect_errno_ == 0; }
  int connect_errno() const noexcept { return connect_errno_; }
  bool send_all(std::string_view data);
  void shutdown_write();
  /// Reads exactly n bytes (or fewer if the stream ends).
  std::string read_exactly(std::size_t n);
  /// Reads until EOF, reset or timeout; `end` says which.
  std::string read_to_end(ReadEnd& end);
  void close();
  int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
  int connect_errno_ = 0;
};

}  // namespace weft::test
