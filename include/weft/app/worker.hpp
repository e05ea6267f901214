// One worker: a thread with its own io_context, its own SO_REUSEPORT inbound and outbound
// listeners, buffer and pipe pools and metrics shard. A connection lives and dies on the worker that
// accepted it, so nothing on the data path is shared between threads.
#pragma once

#include "weft/app/tcp_forward.hpp"
#include "weft/core/config.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/orig_dst.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <thread>

namespace weft::app {

struct WorkerSetup {
  const core::ProxyConfig* config;
  const net::OrigDst* inbound_orig_dst;
  const net::OrigDst* outbound_orig_dst;
  metrics::Shard* metrics;
  boost::asio::ip::tcp::endpoint inbound_listen;   // may be port 0 for the first worker only
  boost::asio::ip::tcp::endpoint outbound_listen;
};

class Worker {
 public:
  /// Binds the listeners (throws on bind failure: startup only).
  explicit Worker(const WorkerSetup& setup);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::ip::tcp::endpoint inbound_endpoint() const { return inbound_.local; }
  boost::asio::ip::tcp::endpoint outbound_endpoint() const { return outbound_.local; }

  /// Starts the thread and the accept loops.
  void start();
  /// Closes the listeners; open connections go on. Thread-safe.
  void stop_accepting();
  /// Stops the event loop, abandoning open connections, and joins the thread. Thread-safe.
  void stop();
  /// Connections accepted and not yet finished. Thread-safe.
  std::size_t active_connections() const noexcept { return active_.load(std::memory_order_acquire); }

 private:
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor,
                                           const ListenerContext& ctx);

  boost::asio::io_context ioc_{1};
  net::BufferPool buffers_;
  net::PipePool pipes_;
  boost::asio::ip::tcp::acceptor inbound_acceptor_;
  boost::asio::ip::tcp::acceptor outbound_acceptor_;
  ListenerContext inbound_;
  ListenerContext outbound_;
  std::atomic<std::size_t> active_{0};
  std::thread thread_;
};

}  // namespace weft::app
