// Registry::render_routes: sums every shard's (dst, rt_route) series, expires the idle ones and
// writes the route_* families (Linkerd's legacy route metrics, and the retry counts).
#include <array>
#include <mutex>
#include <string>

#include "expiry.hpp"
#include "route_series.hpp"
#include "series_render.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {
namespace {

// One (dst, route)'s counters summed over the shards.
struct RouteTotals {
  std::uint64_t refs = 0;
  std::uint64_t requests = 0;
  std::uint64_t actual_requests = 0;
  std::uint64_t retries = 0;
  std::array<std::uint64_t, kRetrySkips> skipped{};
  detail::LatencyTotalsMap latency;
  detail::ResponseTotalsMap responses;
  detail::ResponseTotalsMap actual_responses;

  void add(const detail::RouteSeries& s) {
    // refs first, with acquire: when it reads 0, the counts below are the handles' final ones.
    refs += s.refs.load(std::memory_order_acquire);
    requests += s.requests.load(std::memory_order_relaxed);
    actual_requests += s.actual_requests.load(std::memory_order_relaxed);
    retries += s.retries.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kRetrySkips; ++i) {
      skipped[i] += s.skipped[i].load(std::memory_order_relaxed);
    }
    detail::add_latency(latency, s.latency);
    detail::add_responses(responses, s.responses);
    detail::add_responses(actual_responses, s.actual_responses);
  }
  // Every counter summed: it changes exactly when one of them does (they only grow).
  std::uint64_t activity() const {
    std::uint64_t n = requests + actual_requests + retries;
    for (auto s : skipped) n += s;
    return n + detail::activity(latency) + detail::activity(responses) +
           detail::activity(actual_responses);
  }
};

// direction="outbound",dst="<service>",rt_route="<route>": routes come from the destination
// table, which only the outbound side consults.
class RouteLabels : public detail::SampleLabels {
 public:
  explicit RouteLabels(const detail::RouteKey& k) {
    add({"direction", to_string(Direction::outbound)});
    add({"dst", k.dst});
    add({"rt_route", k.route});
  }
};

}  // namespace

void Registry::render_routes(std::string& out, Clock::time_point now) const {
  std::lock_guard lock(expiry_->mu);
  render_routes_locked(out, now);
}

void Registry::render_routes_locked(std::string& out, Clock::time_point now) const {
  const auto totals = collect_and_expire<detail::RouteKey, detail::RouteKeyLess, RouteTotals>(
      shards_, [](Shard& shard) -> auto& { return shard.routes().state(); }, expiry_->routes, now,
      retain_idle_);

  TextWriter w(out);
  auto each = [&](auto&& fn) {
    for (const auto& [key, t] : totals) {
      RouteLabels labels(*key);
      fn(labels, t);
    }
  };

  w.family("route_request_total", "Total count of HTTP requests per route, retries not counted",
           MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    w.sample("route_request_total", ls.base(), t.requests);
  });

  w.family("route_response_latency_ms",
           "Elapsed times between a request's headers being received and its final response's "
           "first body byte, per route, retries included, in milliseconds",
           MetricType::histogram);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    detail::write_latency(w, "route_response_latency_ms", ls, t.latency);
  });

  w.family("route_response_total", "Total count of HTTP responses per route, as the client saw them",
           MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    detail::write_responses(w, "route_response_total", ls, t.responses);
  });

  w.family("route_actual_request_total", "Total count of HTTP requests per route, each try counted",
           MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    w.sample("route_actual_request_total", ls.base(), t.actual_requests);
  });

  w.family("route_actual_response_total",
           "Total count of HTTP responses per route, each try's counted", MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    detail::write_responses(w, "route_actual_response_total", ls, t.actual_responses);
  });

  w.family("route_retry_requests_total", "Total count of retries sent per route",
           MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    w.sample("route_retry_requests_total", ls.base(), t.retries);
  });

  w.family("route_retry_skipped_total",
           "Total count of retryable failures per route that were not retried, by reason",
           MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    for (std::size_t i = 0; i < kRetrySkips; ++i) {
      w.sample("route_retry_skipped_total",
               ls.with(0, {{"reason", to_string(static_cast<RetrySkip>(i))}}), t.skipped[i]);
    }
  });
}

}  // namespace weft::metrics
