// The storage behind HttpRoute and HttpMetrics (private to src/metrics): one shard's route
// series, their lock-free append-only lists of latency histograms and response counters, and the
// mutex-guarded map that open_route searches. Registry::render_http reads and expires them. The
// list nodes and their writers are shared with the route series (route_series.hpp).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "weft/metrics/http.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics::detail {

/// Buckets of one histogram: one per bound in kLatencyBucketsMs, then +Inf. Not cumulative (each
/// observation bumps one bucket); the renderer accumulates.
inline constexpr std::size_t kLatencyBuckets = kLatencyBucketsMs.size() + 1;

/// response_latency_ms for one status code. Immutable but for its counters once published.
struct LatencySeries {
  explicit LatencySeries(unsigned status) noexcept : status_code(status) {}
  const unsigned status_code;
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets> buckets{};
  std::atomic<std::uint64_t> sum_ns{0};
  LatencySeries* next = nullptr;  // set before publication, never changed after
};

/// response_total for one (status_code, classification, grpc_status, error).
struct ResponseSeries {
  explicit ResponseSeries(const ResponseOutcome& o) noexcept : outcome(o) {}
  const ResponseOutcome outcome;
  std::atomic<std::uint64_t> count{0};
  ResponseSeries* next = nullptr;  // set before publication, never changed after
};

/// Observes `ttfb` in the list's histogram for `status_code`, creating it on first use (the only
/// allocation). Single writer: the shard's worker. Shared by HttpRoute and RouteMetrics.
void observe_latency(std::atomic<LatencySeries*>& head, unsigned status_code,
                     std::chrono::nanoseconds ttfb) noexcept;
/// Counts `outcome` in the list's counter for its label set, creating it on first use. A
/// grpc_status outside -1..16 is counted as 2 (UNKNOWN). Single writer.
void count_response(std::atomic<ResponseSeries*>& head, const ResponseOutcome& outcome) noexcept;
/// Frees a list; only when no handle and no reader can reach it.
void free_list(std::atomic<LatencySeries*>& head) noexcept;
void free_list(std::atomic<ResponseSeries*>& head) noexcept;

/// The owning label set of a route: authority is "" for inbound.
struct HttpRouteKey {
  Direction direction = Direction::inbound;
  std::string authority;
  boost::asio::ip::tcp::endpoint target;
  TlsLabels tls;
  std::string dst_labels;  // pre-rendered dst_* labels, "" for none
};

/// Orders HttpRouteKey and HttpTarget alike (transparent), so a lookup from an HttpTarget
/// allocates nothing. Also the render order.
struct HttpRouteKeyLess {
  using is_transparent = void;

  static auto tie(const HttpRouteKey& k) noexcept {
    return std::make_tuple(k.direction, std::string_view(k.authority), k.target.address(),
                           k.target.port(), k.tls.status, std::string_view(k.tls.value),
                           std::string_view(k.dst_labels));
  }
  static auto tie(const HttpTarget& t) noexcept {
    // Inbound ignores the authority, as the rendered labels do.
    const std::string_view authority =
        t.direction == Direction::outbound ? t.authority : std::string_view();
    return std::make_tuple(t.direction, authority, t.target.address(), t.target.port(),
                           t.tls.status, t.tls.value, t.dst_labels);
  }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return tie(a) < tie(b);
  }
};

/// One route's series in one shard. Counters have one writer (the shard's worker); the lists grow
/// at the head only, published with release, so the worker and the admin thread both walk them
/// without a lock. Freed only by expiry, under the shard's HTTP mutex, when refs is 0.
struct alignas(64) HttpRouteSeries {
  explicit HttpRouteSeries(HttpRouteKey k) : key(std::move(k)) {}
  HttpRouteSeries(const HttpRouteSeries&) = delete;
  HttpRouteSeries& operator=(const HttpRouteSeries&) = delete;
  ~HttpRouteSeries();

  const HttpRouteKey key;
  /// Live HttpRoute handles. Incremented under the shard mutex, decremented by ~HttpRoute with
  /// release, so an admin thread that reads 0 with acquire also sees the handles' last counts.
  std::atomic<std::uint64_t> refs{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<LatencySeries*> latency{nullptr};
  std::atomic<ResponseSeries*> responses{nullptr};
};

/// Keyed route series of one shard.
using HttpRouteMap = std::map<HttpRouteKey, std::unique_ptr<HttpRouteSeries>, HttpRouteKeyLess>;

}  // namespace weft::metrics::detail

namespace weft::metrics {

struct HttpMetrics::State {
  /// Guards `routes` (not the series' counters or lists). The worker takes it in open_route, the
  /// admin thread while it reads and expires.
  std::mutex mu;
  detail::HttpRouteMap routes;  // guarded by mu
  /// {inbound,outbound}_http_errors_total by HttpErrorKind; single writer, no lock.
  std::array<std::array<std::atomic<std::uint64_t>, kHttpErrorKinds>, 2> errors{};
};

}  // namespace weft::metrics
