// Route metrics, Linkerd's route families, for outbound requests to services that the
// destination table knows: labels direction="outbound", dst="<service name>", rt_route="<route>".
//   route_request_total, route_response_total, route_response_latency_ms: per client request
//     (the "effective" request, whatever the retries), classified as response_total is;
//   route_actual_request_total, route_actual_response_total: per try, retries included;
//   route_retry_requests_total: retries sent;
//   route_retry_skipped_total{reason="budget|limit|body"}: failed tries that were not retried
//     because the budget was spent, the retry limit was reached, or the body outgrew the replay
//     buffer (only counted when the response was retryable).
// Like HttpRoute: one lookup under the shard mutex per (dst, route), then no lock and no
// allocation per count.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "weft/metrics/http.hpp"

namespace weft::metrics {

namespace detail {
struct RouteSeries;
}

enum class RetrySkip : std::uint8_t { budget, limit, body };
inline constexpr std::size_t kRetrySkips = 3;
std::string_view to_string(RetrySkip s) noexcept;

/// A handle on one (dst, rt_route) series set; keeps it alive against expiry. Move-only; an
/// empty handle ignores every call.
class RouteMetrics {
 public:
  RouteMetrics() = default;
  RouteMetrics(RouteMetrics&& other) noexcept;
  RouteMetrics& operator=(RouteMetrics&& other) noexcept;
  RouteMetrics(const RouteMetrics&) = delete;
  RouteMetrics& operator=(const RouteMetrics&) = delete;
  ~RouteMetrics();
  explicit operator bool() const noexcept { return series_ != nullptr; }
  bool matches(std::string_view dst, std::string_view route) const noexcept;

  void count_request() noexcept;         // route_request_total +1
  void count_actual_request() noexcept;  // route_actual_request_total +1 (every try)
  void count_response(const ResponseOutcome& outcome) noexcept;         // route_response_total
  void count_actual_response(const ResponseOutcome& outcome) noexcept;  // per try
  void observe_latency(unsigned status_code, std::chrono::nanoseconds ttfb) noexcept;
  void count_retry() noexcept;                 // route_retry_requests_total +1
  void count_retry_skipped(RetrySkip why) noexcept;

 private:
  friend class RouteRegistry;
  explicit RouteMetrics(detail::RouteSeries* series) noexcept : series_(series) {}
  detail::RouteSeries* series_ = nullptr;
};

/// One shard's route series. open runs on the owning worker; render on the admin thread.
class RouteRegistry {
 public:
  RouteRegistry();
  ~RouteRegistry();
  RouteRegistry(const RouteRegistry&) = delete;
  RouteRegistry& operator=(const RouteRegistry&) = delete;

  /// The series of (dst, route), created on first use (copies both strings).
  RouteMetrics open(std::string_view dst, std::string_view route);

  struct State;
  State& state() noexcept { return *state_; }
  const State& state() const noexcept { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

}  // namespace weft::metrics
