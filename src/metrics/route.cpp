// The worker side of the route metrics: the (dst, rt_route) lookup and the per-request and
// per-try counting through RouteMetrics. Rendering and expiry are in route_render.cpp.
#include "weft/metrics/route.hpp"

#include <utility>

#include "route_series.hpp"

namespace weft::metrics {

std::string_view to_string(RetrySkip s) noexcept {
  switch (s) {
    case RetrySkip::budget: return "budget";
    case RetrySkip::limit: return "limit";
    case RetrySkip::body: return "body";
  }
  return "budget";
}

RouteMetrics::RouteMetrics(RouteMetrics&& other) noexcept
    : series_(std::exchange(other.series_, nullptr)) {}

RouteMetrics& RouteMetrics::operator=(RouteMetrics&& other) noexcept {
  if (this != &other) {
    RouteMetrics old(std::move(*this));
    series_ = std::exchange(other.series_, nullptr);
  }
  return *this;
}

RouteMetrics::~RouteMetrics() {
  if (series_ == nullptr) return;
  // Release: the counts this handle made happen before an admin thread's acquire load of 0.
  series_->refs.store(series_->refs.load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

bool RouteMetrics::matches(std::string_view dst, std::string_view route) const noexcept {
  return series_ != nullptr && series_->key.dst == dst && series_->key.route == route;
}

void RouteMetrics::count_request() noexcept {
  if (series_ != nullptr) detail::bump(series_->requests, 1);
}

void RouteMetrics::count_actual_request() noexcept {
  if (series_ != nullptr) detail::bump(series_->actual_requests, 1);
}

void RouteMetrics::count_response(const ResponseOutcome& outcome) noexcept {
  if (series_ != nullptr) detail::count_response(series_->responses, outcome);
}

void RouteMetrics::count_actual_response(const ResponseOutcome& outcome) noexcept {
  if (series_ != nullptr) detail::count_response(series_->actual_responses, outcome);
}

void RouteMetrics::observe_latency(unsigned status_code, std::chrono::nanoseconds ttfb) noexcept {
  if (series_ != nullptr) detail::observe_latency(series_->latency, status_code, ttfb);
}

void RouteMetrics::count_retry() noexcept {
  if (series_ != nullptr) detail::bump(series_->retries, 1);
}

void RouteMetrics::count_retry_skipped(RetrySkip why) noexcept {
  const auto i = static_cast<std::size_t>(why);
  if (series_ != nullptr && i < kRetrySkips) detail::bump(series_->skipped[i], 1);
}

RouteRegistry::RouteRegistry() : state_(std::make_unique<State>()) {}

RouteRegistry::~RouteRegistry() = default;

RouteMetrics RouteRegistry::open(std::string_view dst, std::string_view route) {
  std::lock_guard lock(state_->mu);
  auto it = state_->routes.find(detail::RouteKeyRef{dst, route});
  if (it == state_->routes.end()) {
    auto series =
        std::make_unique<detail::RouteSeries>(detail::RouteKey{std::string(dst), std::string(route)});
    it = state_->routes.emplace(series->key, std::move(series)).first;
  }
  detail::RouteSeries* series = it->second.get();
  // Under the mutex: expiry, which holds it too, never frees a series that is being handed out.
  detail::bump(series->refs, 1);
  return RouteMetrics(series);
}

}  // namespace weft::metrics
