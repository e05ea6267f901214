// One worker: a thread with its own io_context, its own SO_REUSEPORT inbound and outbound
// listeners, buffer and pipe pools and metrics shard. A connection lives and dies on the worker
// that accepted it, so nothing on the data path is shared between threads.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "weft/app/tcp_forward.hpp"
#include "weft/tls/mesh.hpp"
#include "weft/discovery/source.hpp"
#include "weft/core/config.hpp"
#include "weft/http/h1_pool.hpp"
#include "weft/http/h2_client_pool.hpp"
#include "weft/http/router.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/drain_signal.hpp"
#include "weft/net/orig_dst.hpp"

namespace weft::app {

struct WorkerSetup {
  const core::ProxyConfig* config;
  const net::OrigDst* inbound_orig_dst;
  const net::OrigDst* outbound_orig_dst;
  metrics::Shard* metrics;
  boost::asio::ip::tcp::endpoint inbound_listen;  // port 0 only for the first worker
  std::vector<boost::asio::ip::tcp::endpoint> outbound_listen;
  const discovery::DestinationStore* destinations;
  unsigned workers = 1;  // how many share the retry budgets' free retries
  /// The workload identity (mTLS); nullptr without WEFT_PROXY_IDENTITY_DIR.
  const tls::IdentityStore* identity = nullptr;
};

class Worker {
 public:
  /// Binds the listeners (throws on bind failure: startup only).
  explicit Worker(const WorkerSetup& setup);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// The bound addresses of this worker's listeners of one direction, in configuration order.
  std::vector<boost::asio::ip::tcp::endpoint> endpoints(metrics::Direction direction) const;

  /// Starts the thread and the accept loops.
  void start();
  /// Closes the listeners and starts the drain: open connections go on, HTTP/1 connections close
  /// after their current response, HTTP/2 connections send GOAWAY, pooled endpoint connections
  /// close. Thread-safe (through the mailbox).
  void stop_accepting();
  /// Stops the event loop, abandoning open connections, and joins the thread. Thread-safe
  /// (through the mailbox); not from the worker's own thread.
  void stop();
  /// Connections accepted and not yet finished. Thread-safe.
  std::size_t active_connections() const noexcept {
    return active_.load(std::memory_order_acquire);
  }

 private:
  struct Listener {
    boost::asio::ip::tcp::acceptor acceptor;
    ListenerContext
        ctx;  // connections keep a reference: Listener is heap-allocated and never moves
  };

  void add_listener(const boost::asio::ip::tcp::endpoint& addr, ListenerContext ctx);
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor,
                                           const ListenerContext& ctx);

  // The pools outlive the io_context: abandoned connections' coroutine frames, destroyed with
  // it, give their leased buffers and pipes back; the HTTP/2 pools likewise outlive the
  // connection coroutines ioc_ destroys (made in the constructor body, after ioc_ exists).
  std::unique_ptr<http::H2ClientPool> h2_inbound_;
  std::unique_ptr<http::H2ClientPool> h2_outbound_;
  // Outbound routing: services, their balancers and budgets (made in the constructor body; the
  // balancers' timers need ioc_).
  std::unique_ptr<http::Router> router_;
  // mTLS: this worker's view of the identity and its session cache; null without an identity.
  std::unique_ptr<tls::Mesh> mesh_;
  net::BufferPool buffers_;
  net::PipePool pipes_;
  /// An io_context whose services can be shut down before the worker's other members go: that
  /// destroys the pending handlers, and with them the frames of abandoned connection coroutines,
  /// while the listener contexts and pools those frames point to still exist.
  class Context : public boost::asio::io_context {
   public:
    using io_context::io_context;
    using execution_context::shutdown;
  };
  // Only this worker's thread touches its io_context: other threads reach it through the
  // mailbox (an eventfd and request bits), and what is made before the thread starts or
  // destroyed after it ends is ordered by start and join. So Asio needs no locks at all: the
  // scheduler and the reactor run unlocked (a few % of CPU per request under load).
  Context ioc_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  static constexpr unsigned kDrain = 1;
  static constexpr unsigned kStop = 2;
  std::atomic<unsigned> requests_{0};
  boost::asio::posix::stream_descriptor mailbox_;
  void send(unsigned request) noexcept;
  boost::asio::awaitable<void> serve_mailbox();
  net::DrainSignal drain_{ioc_.get_executor()};
  // Idle HTTP/1 connections to endpoints, one pool per direction (declared before the listeners,
  // whose contexts point to them).
  http::H1Pool inbound_h1_pool_;
  http::H1Pool outbound_h1_pool_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::atomic<std::size_t> active_{0};
  std::thread thread_;
};

}  // namespace weft::app
