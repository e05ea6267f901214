// The storage behind RouteMetrics and RouteRegistry (private to src/metrics): one shard's
// (dst, rt_route) series, their counters and lock-free lists of latency histograms and response
// counters (the same nodes as the HTTP route series, http_series.hpp), and the mutex-guarded map
// that open searches. Registry::render_routes reads and expires them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "http_series.hpp"
#include "weft/metrics/route.hpp"

namespace weft::metrics::detail {

/// The owning label set: dst="<service>", rt_route="<route>".
struct RouteKey {
  std::string dst;
  std::string route;
};

/// A lookup's view of a label set.
struct RouteKeyRef {
  std::string_view dst;
  std::string_view route;
};

/// Orders RouteKey and RouteKeyRef alike (transparent), so a lookup allocates nothing. Also the
/// render order.
struct RouteKeyLess {
  using is_transparent = void;

  static auto tie(const RouteKey& k) noexcept {
    return std::make_pair(std::string_view(k.dst), std::string_view(k.route));
  }
  static auto tie(const RouteKeyRef& k) noexcept { return std::make_pair(k.dst, k.route); }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return tie(a) < tie(b);
  }
};

/// One (dst, route) in one shard. Counters have one writer (the shard's worker); the lists grow
/// at the head only, published with release. Freed only by expiry, under the registry's mutex,
/// when refs is 0.
struct alignas(64) RouteSeries {
  explicit RouteSeries(RouteKey k) : key(std::move(k)) {}
  RouteSeries(const RouteSeries&) = delete;
  RouteSeries& operator=(const RouteSeries&) = delete;
  ~RouteSeries() {
    free_list(latency);
    free_list(responses);
    free_list(actual_responses);
  }

  const RouteKey key;
  /// Live RouteMetrics handles; as HttpRouteSeries::refs (incremented under the mutex,
  /// decremented with release).
  std::atomic<std::uint64_t> refs{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> actual_requests{0};
  std::atomic<std::uint64_t> retries{0};
  std::array<std::atomic<std::uint64_t>, kRetrySkips> skipped{};  // by RetrySkip
  std::atomic<LatencySeries*> latency{nullptr};
  std::atomic<ResponseSeries*> responses{nullptr};
  std::atomic<ResponseSeries*> actual_responses{nullptr};
};

using RouteMap = std::map<RouteKey, std::unique_ptr<RouteSeries>, RouteKeyLess>;

}  // namespace weft::metrics::detail

namespace weft::metrics {

struct RouteRegistry::State {
  /// Guards `routes` (not the series' counters or lists): the worker takes it in open, the
  /// admin thread while it reads and expires.
  std::mutex mu;
  detail::RouteMap routes;  // guarded by mu
};

}  // namespace weft::metrics
