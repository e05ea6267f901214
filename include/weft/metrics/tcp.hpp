// The transport metrics (tcp_open_total, tcp_close_total, tcp_open_connections,
// tcp_read_bytes_total, tcp_write_bytes_total) and the registry that renders every family.
// Workers own one Shard each and count through per-connection TcpConnMetrics handles (and
// HttpRoute handles, metrics/http.hpp) without locks; the admin thread calls Registry::render(),
// which sums the shards and expires idle series.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "weft/core/clock.hpp"
#include "weft/metrics/balancer.hpp"
#include "weft/metrics/detect.hpp"
#include "weft/metrics/errno_name.hpp"
#include "weft/metrics/http.hpp"
#include "weft/metrics/labels.hpp"
#include "weft/metrics/text_writer.hpp"
#include "weft/metrics/route.hpp"

namespace weft::metrics {

/// Who a connection is with, as its tcp_* labels say.
struct TcpTarget {
  Direction direction;
  Peer peer;
  /// Rendered as target_addr="ip:port" ([v6]:port), target_ip and target_port.
  boost::asio::ip::tcp::endpoint target;
  /// The connection's TLS label (labels.hpp): tls="no_identity",no_tls_reason="loopback",
  /// tls="true",client_id="spiffe://..." on the client side (peer="src"), server_id on the
  /// endpoint side, or tls="opaque",sni="...". Part of the series key; copied when a new series
  /// is created.
  TlsRef tls;
  /// The endpoint's pre-rendered dst_* labels (see HttpTarget::dst_labels); "" for none. Part of
  /// the series key; copied when a new series is created.
  std::string_view dst_labels{};
};

namespace detail {

/// Adds to a counter that has one writer. A relaxed load and store: no lock, no read-modify-write.
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n,
                 std::memory_order order = std::memory_order_relaxed) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, order);
}

/// One label set's counters in one shard. Written only by the shard's worker, read by the admin
/// thread. Aligned to a cache line so that series of different workers never share one.
struct alignas(64) TcpSeries {
  /// The TLS label of the series' key, viewing the key's own string (a map node: it stays put
  /// until the series is removed, which happens only when no handle is open).
  TlsRef tls;
  std::atomic<std::uint64_t> open_total{0};
  std::atomic<std::uint64_t> read_bytes{0};
  std::atomic<std::uint64_t> write_bytes{0};
  /// Closes by errno slot (see close_slot). Stored with release so that a reader that loads the
  /// closes with acquire, then open_total, never sees more closes than opens.
  std::array<std::atomic<std::uint64_t>, kCloseSlots> closes{};

  /// Closes with an errno that has no slot: rare, so a mutex and an allocation are fine.
  mutable std::mutex rare_mu;
  std::map<std::string, std::uint64_t, std::less<>> rare_closes;  // guarded by rare_mu
  std::uint64_t rare_close_count = 0;                             // guarded by rare_mu
};

}  // namespace detail

/// A connection's handle on its series. Created by Shard::open_tcp and used only on the worker
/// thread that owns the shard. Every call on an empty or closed handle is a no-op.
class TcpConnMetrics {
 public:
  /// An empty handle: every call is a no-op.
  TcpConnMetrics() = default;
  TcpConnMetrics(TcpConnMetrics&& other) noexcept : series_(other.series_) {
    other.series_ = nullptr;
  }
  TcpConnMetrics& operator=(TcpConnMetrics&& other) noexcept;
  TcpConnMetrics(const TcpConnMetrics&) = delete;
  TcpConnMetrics& operator=(const TcpConnMetrics&) = delete;
  /// Closes cleanly (errno="") if close() was not called.
  ~TcpConnMetrics() { close({}); }

  /// Counts `n` bytes read from the peer (tcp_read_bytes_total). No lock, no allocation.
  void add_read(std::uint64_t n) noexcept {
    if (series_ != nullptr) detail::bump(series_->read_bytes, n);
  }
  /// Counts `n` bytes written to the peer (tcp_write_bytes_total). No lock, no allocation.
  void add_write(std::uint64_t n) noexcept {
    if (series_ != nullptr) detail::bump(series_->write_bytes, n);
  }

  /// Counts the close in tcp_close_total{errno=errno_name(ec)} and takes the connection out of
  /// tcp_open_connections. Idempotent: only the first call counts. Lock-free unless the errno
  /// has no slot in kCommonCloseErrnos.
  void close(const boost::system::error_code& ec) noexcept;

  /// True until close() (and false for an empty handle).
  bool is_open() const noexcept { return series_ != nullptr; }

  /// The TLS label this connection was opened with; `fallback` for an empty or closed handle.
  /// The view is valid while the handle is open. The HTTP code labels inbound series with the
  /// client connection's label this way, so that whoever opens the client's handle (mTLS, with
  /// the client's identity) labels its requests too.
  TlsRef tls_or(TlsRef fallback) const noexcept {
    return series_ != nullptr ? series_->tls : fallback;
  }

 private:
  friend class Shard;
  explicit TcpConnMetrics(detail::TcpSeries* series) noexcept : series_(series) {}

  detail::TcpSeries* series_ = nullptr;
};

/// One worker's metrics. open_tcp runs on the owning worker only; the admin thread reads.
class Shard {
 public:
  Shard() = default;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  /// Protocol detection counters (lock-free; this shard's worker writes them).
  DetectMetrics& detect() noexcept { return detect_; }
  const DetectMetrics& detect() const noexcept { return detect_; }

  /// The golden HTTP metrics (request_total, response_total, response_latency_ms,
  /// *_http_errors_total) of this shard's worker.
  HttpMetrics& http() noexcept { return http_; }
  const HttpMetrics& http() const noexcept { return http_; }

  /// The route families (route_*, retries) of this shard's worker (metrics/route.hpp).
  RouteRegistry& routes() noexcept { return routes_; }
  const RouteRegistry& routes() const noexcept { return routes_; }
  /// outbound_http_balancer_endpoints, published by this worker's balancers.
  BalancerGauges& balancer() noexcept { return balancer_; }

  /// Counts a new connection (tcp_open_total +1, tcp_open_connections +1) and returns its handle.
  /// Precondition: called on the worker that owns this shard. Takes the shard mutex (uncontended
  /// except during a render); allocates only for a label set this shard has not seen.
  TcpConnMetrics open_tcp(const TcpTarget& target);

  /// Calls f(const TcpKey&, const detail::TcpSeries&) for every series, under the shard mutex.
  /// Any thread.
  template <class F>
  void for_each_tcp_series(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [key, series] : tcp_) f(key, *series);
  }

 private:
  friend class Registry;  // renders and expires under mu_

  DetectMetrics detect_;
  HttpMetrics http_;
  RouteRegistry routes_;
  BalancerGauges balancer_;
  mutable std::mutex mu_;
  // A series is removed (Registry's expiry, under mu_) only when its open_total equals its
  // closes: every handle on it has closed, and open_tcp counts the open under mu_, so no handle
  // can point to a removed series.
  std::map<TcpKey, std::unique_ptr<detail::TcpSeries>, TcpKeyLess> tcp_;  // guarded by mu_
};

/// All of the proxy's metrics: one Shard per worker, plus the process and build families.
class Registry {
 public:
  /// Linkerd's METRICS_RETAIN_IDLE default.
  static constexpr Clock::duration kDefaultRetainIdle = std::chrono::minutes(10);

  /// `shards` is the worker count (at least 1 is created). Route and tcp series that no handle
  /// references and whose values have not changed for `retain_idle` are dropped at render time.
  explicit Registry(std::size_t shards, Clock::duration retain_idle = kDefaultRetainIdle);
  ~Registry();

  /// The shard of worker `i`. Throws std::out_of_range when i >= shard_count() (a startup bug).
  Shard& shard(std::size_t i) { return *shards_.at(i); }
  std::size_t shard_count() const noexcept { return shards_.size(); }

  /// The whole exposition (text format 0.0.4): tcp_*, the HTTP and route families summed over
  /// shards, detection, process_*, proxy_build_info. Callable from any thread while workers
  /// count.
  /// Expires idle series first, judging idleness at `now` (Clock::now() without it; tests pass
  /// explicit times). No clock is read on the workers' paths: the registry remembers each
  /// series' last seen totals and the render time at which they last changed.
  std::string render() const { return render(Clock::now()); }
  std::string render(Clock::time_point now) const;

  /// Only the tcp_* families (what render() starts with), for tests.
  void render_tcp(std::string& out) const { render_tcp(out, Clock::now()); }
  void render_tcp(std::string& out, Clock::time_point now) const;

  /// Only request_total, response_total, response_latency_ms and *_http_errors_total, for tests.
  void render_http(std::string& out) const { render_http(out, Clock::now()); }
  void render_http(std::string& out, Clock::time_point now) const;

  /// Only the route_* families, for tests.
  void render_routes(std::string& out, Clock::time_point now) const;

  Clock::duration retain_idle() const noexcept { return retain_idle_; }

  /// Families that another part of the proxy keeps (the destination file's reload counts), written
  /// after the built-in ones on every render. Set before render can run on another thread; `f`
  /// runs on the rendering thread and must only read atomics.
  void set_extra_families(std::function<void(TextWriter&)> f) { extra_ = std::move(f); }

  /// The registry's memory of when each series last changed (defined in src/metrics).
  struct Expiry;

 private:
  // The bodies of render_tcp, render_http and render_routes; the caller holds expiry_->mu.
  void render_tcp_locked(std::string& out, Clock::time_point now) const;
  void render_http_locked(std::string& out, Clock::time_point now) const;
  void render_routes_locked(std::string& out, Clock::time_point now) const;

  std::vector<std::unique_ptr<Shard>> shards_;
  Clock::duration retain_idle_;
  std::unique_ptr<Expiry> expiry_;  // guarded by its own mutex; render serializes on it
  std::function<void(TextWriter&)> extra_;
};

}  // namespace weft::metrics
