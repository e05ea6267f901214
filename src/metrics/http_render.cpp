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
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {
namespace {

struct LatencyTotals {
  std::array<std::uint64_t, detail::kLatencyBuckets> buckets{};
  std::uint64_t sum_ns = 0;
};

// (status_code, classification, grpc_status, error): the response_total label order.
using ResponseKey = std::tuple<unsigned, Classification, int, std::string_view>;

// One route's counters summed over the shards.
struct RouteTotals {
  std::uint64_t refs = 0;
  std::uint64_t requests = 0;
  std::map<unsigned, LatencyTotals> latency;
  std::map<ResponseKey, std::uint64_t> responses;

  // Every counter summed: it changes exactly when one of them does (they only grow).
  std::uint64_t activity() const {
    std::uint64_t n = requests;
    for (const auto& [status, l] : latency) {
      for (auto b : l.buckets) n += b;
    }
    for (const auto& [key, count] : responses) n += count;
    return n;
  }
};

// Keyed by the first shard's key object: series outlive the render, since only a render (which
// holds Expiry::mu throughout) removes them.
struct KeyPtrLess {
  bool operator()(const detail::HttpRouteKey* a, const detail::HttpRouteKey* b) const noexcept {
    return detail::HttpRouteKeyLess{}(*a, *b);
  }
};
using RouteTotalsMap = std::map<const detail::HttpRouteKey*, RouteTotals, KeyPtrLess>;

void add_series(RouteTotals& t, const detail::HttpRouteSeries& s) {
  // refs first, with acquire: when it reads 0, the counts below are the handles' final ones.
  t.refs += s.refs.load(std::memory_order_acquire);
  t.requests += s.requests.load(std::memory_order_relaxed);
  for (auto* l = s.latency.load(std::memory_order_acquire); l != nullptr; l = l->next) {
    LatencyTotals& lt = t.latency[l->status_code];
    for (std::size_t b = 0; b < detail::kLatencyBuckets; ++b) {
      lt.buckets[b] += l->buckets[b].load(std::memory_order_relaxed);
    }
    lt.sum_ns += l->sum_ns.load(std::memory_order_relaxed);
  }
  for (auto* r = s.responses.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    const ResponseOutcome& o = r->outcome;
    t.responses[{o.status_code, o.classification, o.grpc_status, o.error}] +=
        r->count.load(std::memory_order_relaxed);
  }
}

// A route's labels in Linkerd's order, then room for the response labels.
class RouteLabels {
 public:
  explicit RouteLabels(const detail::HttpRouteKey& k)
      : addr_(format_target_addr(k.target)),
        ip_(k.target.address().to_string()),
        port_(std::to_string(k.target.port())) {
    labels_[n_++] = {"direction", to_string(k.direction)};
    if (k.direction == Direction::outbound) labels_[n_++] = {"authority", k.authority};
    labels_[n_++] = {"target_addr", addr_};
    labels_[n_++] = {"target_ip", ip_};
    labels_[n_++] = {"target_port", port_};
    labels_[n_++] = {"tls", to_string(TlsStatus::no_identity)};
    labels_[n_++] = {"no_tls_reason", k.no_tls_reason};
  }
  RouteLabels(const RouteLabels&) = delete;  // labels point into this object's strings
  RouteLabels& operator=(const RouteLabels&) = delete;

  std::span<const Label> base() const { return {labels_.data(), n_}; }

  /// The route labels, then status_code (when not 0), then `extra`.
  std::span<const Label> with(unsigned status_code, std::initializer_list<Label> extra) {
    std::size_t n = n_;
    if (status_code != 0) {
      status_ = std::to_string(status_code);
      labels_[n++] = {"status_code", status_};
    }
    for (const Label& l : extra) labels_[n++] = l;
    return {labels_.data(), n};
  }

 private:
  std::string addr_;
  std::string ip_;
  std::string port_;
  std::string status_;
  std::array<Label, 12> labels_{};
  std::size_t n_ = 0;
};

constexpr std::array<std::string_view, detail::kLatencyBuckets> kLe = [] {
  std::array<std::string_view, detail::kLatencyBuckets> le{};
  constexpr std::array<std::string_view, kLatencyBucketsMs.size()> bounds = {
      "1",    "2",    "3",     "4",     "5",     "10",    "20",   "30",   "40",
      "50",   "100",  "200",   "300",   "400",   "500",   "1000", "2000", "3000",
      "4000", "5000", "10000", "20000", "30000", "40000", "50000"};
  for (std::size_t i = 0; i < bounds.size(); ++i) le[i] = bounds[i];
  le[bounds.size()] = "+Inf";
  return le;
}();

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
  RouteTotalsMap totals;
  {
    // Every shard at once, so that a route is dropped from all shards or from none and its sums
    // never go backwards. Workers take only their own shard's mutex: no lock-order cycle.
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(shards_.size());
    for (const auto& shard : shards_) locks.emplace_back(shard->http().state().mu);
    for (const auto& shard : shards_) {
      for (const auto& [key, series] : shard->http().state().routes) {
        add_series(totals.try_emplace(&series->key).first->second, *series);
      }
    }
    for (auto it = totals.begin(); it != totals.end();) {
      const RouteTotals& t = it->second;
      if (!expired(expiry_->http, *it->first, t.activity(), t.refs != 0, now, retain_idle_)) {
        ++it;
        continue;
      }
      // No handle in any shard (refs 0 under every shard's mutex): nothing can write to these.
      const detail::HttpRouteKey key = *it->first;  // it->first dies with the first erase
      it = totals.erase(it);
      expiry_->http.erase(key);
      for (const auto& shard : shards_) shard->http().state().routes.erase(key);
    }
  }

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
    for (const auto& [status, l] : t.latency) {
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < detail::kLatencyBuckets; ++b) {
        cumulative += l.buckets[b];
        w.sample("response_latency_ms_bucket", ls.with(status, {{"le", kLe[b]}}), cumulative);
      }
      w.sample("response_latency_ms_sum", ls.with(status, {}), static_cast<double>(l.sum_ns) / 1e6);
      w.sample("response_latency_ms_count", ls.with(status, {}), cumulative);
    }
  });

  w.family("response_total", "Total count of HTTP responses", MetricType::counter);
  each([&](RouteLabels& ls, const RouteTotals& t) {
    for (const auto& [key, count] : t.responses) {
      const auto& [status, classification, grpc_status, error] = key;
      const std::string grpc = grpc_status < 0 ? std::string() : std::to_string(grpc_status);
      w.sample("response_total",
               ls.with(status, {{"classification", to_string(classification)},
                                {"grpc_status", grpc},
                                {"error", error}}),
               count);
    }
  });

  write_errors(w, shards_);
}

}  // namespace weft::metrics
