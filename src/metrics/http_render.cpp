// Registry::render_http: sums every shard's route series per label set, expires the idle ones and
// writes request_total, response_latency_ms, response_total and
// {inbound,outbound}_http_errors_total.
#include <spdlog/fmt/fmt.h>

#include <array>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "expiry.hpp"
#include "http_series.hpp"
#include "series_render.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {
namespace {

// One route's counters summed over the shards.
struct RouteTotals {
  std::uint64_t refs = 0;
  std::uint64_t requests = 0;
  detail::LatencyTotalsMap latency;
  detail::ResponseTotalsMap responses;

  void add(const detail::HttpRouteSeries& s) {
    // refs first, with acquire: when it reads 0, the counts below are the handles' final ones.
    refs += s.refs.load(std::memory_order_acquire);
    requests += s.requests.load(std::memory_order_relaxed);
    detail::add_latency(latency, s.latency);
    detail::add_responses(responses, s.responses);
  }
  // Every counter summed: it changes exactly when one of them does (they only grow).
  std::uint64_t activity() const {
    return requests + detail::activity(latency) + detail::activity(responses);
  }
};

// A route's labels in Linkerd's order (the endpoint's dst_* last), then room for the response
// labels.
class RouteLabels : public detail::SampleLabels {
 public:
  explicit RouteLabels(const detail::HttpRouteKey& k)
      : addr_(format_target_addr(k.target)),
        ip_(k.target.address().to_string()),
        port_(std::to_string(k.target.port())) {
    add({"direction", to_string(k.direction)});
    if (k.direction == Direction::outbound) add({"authority", k.authority});
    add({"target_addr", addr_});
    add({"target_ip", ip_});
    add({"target_port", port_});
    add({"tls", to_string(k.tls.status)});
    add({tls_value_label(k.tls.status, tls_side(k.direction)), k.tls.value});
    add({"", k.dst_labels});
  }
  RouteLabels(const RouteLabels&) = delete;  // labels point into this object's strings
  RouteLabels& operator=(const RouteLabels&) = delete;

 private:
  std::string addr_;
  std::string ip_;
  std::string port_;
};

void write_errors(TextWriter& w, const std::vector<std::unique_ptr<Shard>>& shards) {
  for (const Direction d : {Direction::inbound, Direction::outbound}) {
    const std::string name = fmt::format("{}_http_errors_total", to_string(d));
    w.family(name, "HTTP requests the proxy answered itself because of an error",
             MetricType::counter);
    for (std::size_t k = 0; k < kHttpErrorKinds; ++k) {
      std::uint64_t n = 0;
      for (const auto& shard : shards) {
        n += shard->http().state().errors[d == Direction::inbound ? 0 : 1][k].load(
            std::memory_order_relaxed);
      }
      const Label label{"error", to_string(static_cast<HttpErrorKind>(k))};
      w.sample(name, std::span(&label, 1), n);
    }
  }
}

}  // namespace

void Registry::render_http(std::string& out, Clock::time_point now) const {
  std::lock_guard lock(expiry_->mu);
  render_http_locked(out, now);
}

void Registry::render_http_locked(std::string& out, Clock::time_point now) const {
  const auto totals =
      collect_and_expire<detail::HttpRouteKey, detail::HttpRouteKeyLess, RouteTotals>(
          shards_, [](Shard& shard) -> auto& { return shard.http().state(); },
          expiry_->http, now, retain_idle_);

  // Lines of ~300 bytes: reserve once instead of doubling (and page-faulting) a large string.
  std::size_t lines = 64;
  for (const auto& [key, t] : totals) {
    lines += 1 + t.latency.size() * (detail::kLatencyBuckets + 2) + t.responses.size();
  }
  out.reserve(out.size() + lines * 300);
  TextWriter w(out);
  std::vector<std::unique_ptr<RouteLabels>> labels;
  labels.reserve(totals.size());
  for (const auto& entry : totals) labels.push_back(std::make_unique<RouteLabels>(*entry.first));
  auto each = [&](auto&& fn) {
    std::size_t i = 0;
    for (const auto& entry : totals) fn(*labels[i++], entry.second);
  };

  w.family("request_total", "Total count of HTTP requests", MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    w.sample("request_total", ls.base(), t.requests);
  });

  w.family("response_latency_ms",
           "Elapsed times between a request's headers being received and its response's first "
           "body byte (or its end, with no body), in milliseconds",
           MetricType::histogram);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    detail::write_latency(w, "response_latency_ms", ls, t.latency);
  });

  w.family("response_total", "Total count of HTTP responses", MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    detail::write_responses(w, "response_total", ls, t.responses);
  });

  write_errors(w, shards_);
}

}  // namespace weft::metrics
