#include "series_render.hpp"

#include <spdlog/fmt/fmt.h>

namespace weft::metrics::detail {
namespace {

constexpr std::array<std::string_view, kLatencyBuckets> kLe = [] {
  std::array<std::string_view, kLatencyBuckets> le{};
  constexpr std::array<std::string_view, kLatencyBucketsMs.size()> bounds = {
      "1",    "2",    "3",     "4",     "5",     "10",    "20",   "30",   "40",
      "50",   "100",  "200",   "300",   "400",   "500",   "1000", "2000", "3000",
      "4000", "5000", "10000", "20000", "30000", "40000", "50000"};
  for (std::size_t i = 0; i < bounds.size(); ++i) le[i] = bounds[i];
  le[bounds.size()] = "+Inf";
  return le;
}();

}  // namespace

void add_latency(LatencyTotalsMap& totals, const std::atomic<LatencySeries*>& head) {
  for (auto* l = head.load(std::memory_order_acquire); l != nullptr; l = l->next) {
    LatencyTotals& lt = totals[l->status_code];
    for (std::size_t b = 0; b < kLatencyBuckets; ++b) {
      lt.buckets[b] += l->buckets[b].load(std::memory_order_relaxed);
    }
    lt.sum_ns += l->sum_ns.load(std::memory_order_relaxed);
  }
}

void add_responses(ResponseTotalsMap& totals, const std::atomic<ResponseSeries*>& head) {
  for (auto* r = head.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    const ResponseOutcome& o = r->outcome;
    totals[{o.status_code, o.classification, o.grpc_status, o.error}] +=
        r->count.load(std::memory_order_relaxed);
  }
}

std::uint64_t activity(const LatencyTotalsMap& latency) noexcept {
  std::uint64_t n = 0;
  for (const auto& [status, l] : latency) {
    for (auto b : l.buckets) n += b;
  }
  return n;
}

std::uint64_t activity(const ResponseTotalsMap& responses) noexcept {
  std::uint64_t n = 0;
  for (const auto& [key, count] : responses) n += count;
  return n;
}

std::span<const Label> SampleLabels::with(unsigned status_code,
                                          std::initializer_list<Label> extra) {
  std::size_t n = n_;
  if (status_code != 0) {
    status_ = std::to_string(status_code);
    labels_[n++] = {"status_code", status_};
  }
  for (const Label& l : extra) labels_[n++] = l;
  return {labels_.data(), n};
}

void write_latency(TextWriter& w, std::string_view family, SampleLabels& labels,
                   const LatencyTotalsMap& latency) {
  if (latency.empty()) return;
  const std::string bucket = fmt::format("{}_bucket", family);
  const std::string sum = fmt::format("{}_sum", family);
  const std::string count = fmt::format("{}_count", family);
  for (const auto& [status, l] : latency) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kLatencyBuckets; ++b) {
      cumulative += l.buckets[b];
      w.sample(bucket, labels.with(status, {{"le", kLe[b]}}), cumulative);
    }
    w.sample(sum, labels.with(status, {}), static_cast<double>(l.sum_ns) / 1e6);
    w.sample(count, labels.with(status, {}), cumulative);
  }
}

void write_responses(TextWriter& w, std::string_view family, SampleLabels& labels,
                     const ResponseTotalsMap& responses) {
  for (const auto& [key, count] : responses) {
    const auto& [status, classification, grpc_status, error] = key;
    const std::string grpc = grpc_status < 0 ? std::string() : std::to_string(grpc_status);
    w.sample(family,
             labels.with(status, {{"classification", to_string(classification)},
                                  {"grpc_status", grpc},
                                  {"error", error}}),
             count);
  }
}

}  // namespace weft::metrics::detail
