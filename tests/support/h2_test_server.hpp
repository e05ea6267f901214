// A small HTTP/2 (h2c prior knowledge) server for tests that need control over the endpoint:
// echo with trailers, resets, streams that hang, sized downloads. nghttp2 server sessions on
// blocking sockets, a thread per connection, on 127.0.0.1 with a kernel-chosen port.
//   POST /echo     the request body back, then the request's trailers plus x-echo-trailer: 1
//   GET  /size/N   N bytes of a fixed pattern (pattern_bytes(N))
//   GET  /headers  the request's regular header fields as received, "name: value" per line
//   GET  /reset    RST_STREAM(ENHANCE_YOUR_CALM) at once
//   GET  /hang     no response; the stream's reset code is recorded
//   GET  /die      a response head and 1,000 body bytes, then the connection closes
//   GET  /goaway   "bye", then GOAWAY naming this stream as the last one
//   GET  /grpc-fail  trailers-only gRPC response, grpc-status 14
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft::test {

/// The bytes GET /size/N answers: a repeating pattern, so any shift or loss changes the digest.
std::string pattern_bytes(std::size_t n);

class H2TestServer {
 public:
  H2TestServer();
  ~H2TestServer();
  H2TestServer(const H2TestServer&) = delete;
  H2TestServer& operator=(const H2TestServer&) = delete;

  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  std::size_t connections() const noexcept { return connections_.load(); }
  std::size_t requests() const noexcept { return requests_.load(); }
  /// Response body bytes handed to nghttp2 so far (all streams).
  std::size_t body_bytes_sent() const noexcept { return body_bytes_sent_.load(); }
  void add_body_bytes_sent(std::size_t n) noexcept { body_bytes_sent_ += n; }
  /// Waits until a /hang stream was reset; its RST_STREAM code, or -1 after the timeout.
  int wait_hang_reset(std::chrono::milliseconds timeout) const;

  // Called from the session callbacks.
  void count_request() noexcept { ++requests_; }
  void record_hang_reset(std::uint32_t code) noexcept { hang_reset_.store(static_cast<int>(code)); }

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> body_bytes_sent_{0};
  std::atomic<int> hang_reset_{-1};
  std::mutex mu_;
  std::vector<int> fds_;  // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace weft::test
