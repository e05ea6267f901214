// The assembled proxy: W workers with their listeners, the metrics registry with one shard per
// worker, and the admin server on its own thread. main() drives it through start, drain and stop;
// integration tests drive the same object in-process, with original destinations from a seam.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "weft/admin/server.hpp"
#include "weft/app/worker.hpp"
#include "weft/core/config.hpp"
#include "weft/discovery/file_source.hpp"
#include "weft/discovery/source.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/metrics/text_writer.hpp"
#include "weft/net/orig_dst.hpp"
#include "weft/tls/identity_source.hpp"

namespace weft::app {

class Proxy {
 public:
  /// Original destinations from the configuration: the *_ORIG_DST_ADDR override where set,
  /// SO_ORIGINAL_DST otherwise. Binds every listener; throws on failure (startup only).
  explicit Proxy(core::ProxyConfig config);
  /// Test seam: original destinations from the given resolvers.
  Proxy(core::ProxyConfig config, std::unique_ptr<net::OrigDst> inbound_orig_dst,
        std::unique_ptr<net::OrigDst> outbound_orig_dst);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  boost::asio::ip::tcp::endpoint inbound_endpoint() const;
  /// The first outbound listener's address.
  boost::asio::ip::tcp::endpoint outbound_endpoint() const;
  /// Every outbound listener's address (IPv4 and IPv6 loopback in a dual-stack pod).
  std::vector<boost::asio::ip::tcp::endpoint> outbound_endpoints() const;
  boost::asio::ip::tcp::endpoint admin_endpoint() const;

  /// Starts the worker and admin threads; /ready answers 200 from here on (with an identity
  /// configured, once it is loaded).
  void start();
  /// Stops accepting new connections; open ones go on. Thread-safe.
  void drain();
  /// Waits until no connection is open or `grace` has passed; true when all finished.
  bool wait_idle(core::duration grace) const;
  /// Stops every thread, abandoning open connections. Idempotent.
  void stop();

  std::size_t active_connections() const noexcept;
  const metrics::Registry& registry() const noexcept { return *registry_; }
  /// The destination table the workers route by (tests publish tables here directly).
  discovery::DestinationStore& destinations() noexcept { return destinations_; }
  /// The workload identity the workers use for mTLS (empty without WEFT_PROXY_IDENTITY_DIR, and
  /// until its files are good).
  const tls::IdentityStore& identity() const noexcept { return identity_; }

 private:
  // Families of the admin thread's own sources (destination file, identity files).
  void render_control_metrics(metrics::TextWriter& w) const;

  core::ProxyConfig config_;
  std::unique_ptr<net::OrigDst> inbound_orig_dst_;
  std::unique_ptr<net::OrigDst> outbound_orig_dst_;
  std::unique_ptr<metrics::Registry> registry_;
  discovery::DestinationStore destinations_;  // before the workers, which read it
  tls::IdentityStore identity_;                // before the workers, which read it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> ready_{false};
  boost::asio::io_context admin_ioc_{1};
  std::unique_ptr<admin::Server> admin_;
  // WEFT_PROXY_DESTINATIONS, polled on the admin thread's loop.
  std::unique_ptr<discovery::FileSource> destination_file_;
  std::unique_ptr<tls::IdentitySource> identity_files_;
  std::atomic<bool> started_{false};
  std::thread admin_thread_;
};

}  // namespace weft::app
