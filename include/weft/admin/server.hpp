// The admin HTTP server (port 4191): liveness and readiness probes and the Prometheus scrape.
// It runs on its own thread's io_context so that probes and scrapes answer while the workers are
// loaded; the app constructs it at startup and stops it at shutdown.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "weft/metrics/tcp.hpp"

namespace weft::admin {

/// Tunables; the defaults are what the proxy uses.
struct ServerOptions {
  /// A connection with no request in progress and no bytes moving for this long is closed.
  std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(60);
  /// Request heads larger than this get 431 (the brief: 8 KiB).
  std::size_t max_request_head = 8 * 1024;
  /// Request bodies (ignored by every endpoint) larger than this get 413.
  std::size_t max_request_body = 64 * 1024;
};

class Server {
 public:
  /// Binds `listen` at once. Throws std::system_error when it cannot (startup only).
  /// `ioc` must be run by one thread (the admin thread) and outlive the server; `registry` and
  /// `ready` must outlive every run of `ioc` that serves connections.
  Server(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& listen,
         const metrics::Registry& registry, const std::atomic<bool>& ready,
         ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  /// Calls stop().
  ~Server();

  /// The bound address (the real port when `listen` had port 0). Any thread.
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_; }

  /// Spawns the accept loop on the io_context. Call once. Any thread.
  void start();

  /// Closes the acceptor and every open admin connection. Idempotent. Any thread: the work is
  /// dispatched to the io_context (inline when called on it).
  void stop();

  struct State;  // shared with the connection coroutines, which may outlive the Server object

 private:
  std::shared_ptr<State> state_;
  boost::asio::ip::tcp::endpoint local_;
};

}  // namespace weft::admin
