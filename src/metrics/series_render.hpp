// What the HTTP route series and the destination route series render alike (private to
// src/metrics): summing their per-status latency histograms and response counters over the
// shards, and writing them as `<family>_bucket/_sum/_count` and `<family>` samples after a
// series' own labels.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>

#include "http_series.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics::detail {

struct LatencyTotals {
  std::array<std::uint64_t, kLatencyBuckets> buckets{};
  std::uint64_t sum_ns = 0;
};
/// By status_code.
using LatencyTotalsMap = std::map<unsigned, LatencyTotals>;

/// (status_code, classification, grpc_status, error): the response_total label order.
using ResponseKey = std::tuple<unsigned, Classification, int, std::string_view>;
using ResponseTotalsMap = std::map<ResponseKey, std::uint64_t>;

/// Adds one shard's list to the totals (acquire walk; no lock).
void add_latency(LatencyTotalsMap& totals, const std::atomic<LatencySeries*>& head);
void add_responses(ResponseTotalsMap& totals, const std::atomic<ResponseSeries*>& head);

/// The sum of every count: it changes exactly when one of them does (they only grow).
std::uint64_t activity(const LatencyTotalsMap& latency) noexcept;
std::uint64_t activity(const ResponseTotalsMap& responses) noexcept;

/// A series' labels, then status_code (when not 0) and a sample's own labels. Holds views: the
/// caller keeps the label values alive.
class SampleLabels {
 public:
  void add(Label label) noexcept { labels_[n_++] = label; }
  std::span<const Label> base() const noexcept { return {labels_.data(), n_}; }
  std::span<const Label> with(unsigned status_code, std::initializer_list<Label> extra);

 private:
  std::string status_;
  std::array<Label, 14> labels_{};
  std::size_t n_ = 0;
};

/// `<family>_bucket{...,status_code,le}` (cumulative, Linkerd's bounds, +Inf), `_sum` (ms) and
/// `_count` for each status.
void write_latency(TextWriter& w, std::string_view family, SampleLabels& labels,
                   const LatencyTotalsMap& latency);
/// `<family>{...,status_code,classification,grpc_status,error}` for each label set.
void write_responses(TextWriter& w, std::string_view family, SampleLabels& labels,
                     const ResponseTotalsMap& responses);

}  // namespace weft::metrics::detail
