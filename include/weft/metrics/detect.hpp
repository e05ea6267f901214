// Protocol detection metrics, per worker shard: how each accepted connection was classified
// ({inbound,outbound}_tcp_detect_http_total{result}) and how long detection took
// ({inbound,outbound}_tcp_detect_http_duration_seconds). The label space is fixed, so every
// counter exists up front and recording takes no lock and no allocation.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "weft/metrics/labels.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {

enum class DetectResult { http1, http2, not_http, read_timeout, error };
inline constexpr std::size_t kDetectResults = 5;

/// The `result` label: "http/1", "http/2", "not_http", "read_timeout", "error" (Linkerd's values).
std::string_view to_string(DetectResult r) noexcept;

/// Upper bounds (seconds) of the duration histogram's buckets; +Inf is implied.
inline constexpr std::array<double, 8> kDetectBucketBounds = {0.0005, 0.001, 0.005, 0.01,
                                                              0.05,   0.1,   1.0,   10.0};

/// One shard's detection counters. record() runs on the shard's worker only (single writer);
/// render_detect() reads from any thread.
class DetectMetrics {
 public:
  void record(Direction direction, DetectResult result, std::chrono::nanoseconds elapsed) noexcept;

 private:
  friend void render_detect(std::span<const DetectMetrics* const> shards, TextWriter& w);
  struct PerDirection {
    std::array<std::atomic<std::uint64_t>, kDetectResults> results{};
    std::array<std::atomic<std::uint64_t>, kDetectBucketBounds.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::array<PerDirection, 2> by_direction_{};
};

/// Writes both families, summed over the shards.
void render_detect(std::span<const DetectMetrics* const> shards, TextWriter& w);

}  // namespace weft::metrics
