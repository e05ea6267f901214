#include "weft/metrics/detect.hpp"

#include <spdlog/fmt/fmt.h>

#include <string>

namespace weft::metrics {

namespace {

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

std::size_t index(Direction d) noexcept { return d == Direction::inbound ? 0 : 1; }

}  // namespace

std::string_view to_string(DetectResult r) noexcept {
  switch (r) {
    case DetectResult::http1: return "http/1";
    case DetectResult::http2: return "http/2";
    case DetectResult::not_http: return "not_http";
    case DetectResult::read_timeout: return "read_timeout";
    case DetectResult::error: return "error";
  }
  return "error";
}

void DetectMetrics::record(Direction direction, DetectResult result,
                           std::chrono::nanoseconds elapsed) noexcept {
  auto& d = by_direction_[index(direction)];
  bump(d.results[static_cast<std::size_t>(result)], 1);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < kDetectBucketBounds.size() && seconds > kDetectBucketBounds[bucket]) ++bucket;
  bump(d.buckets[bucket], 1);
  bump(d.sum_ns, static_cast<std::uint64_t>(elapsed.count() > 0 ? elapsed.count() : 0));
}

void render_detect(std::span<const DetectMetrics* const> shards, TextWriter& w) {
  for (const Direction direction : {Direction::inbound, Direction::outbound}) {
    const std::string prefix = std::string(to_string(direction)) + "_tcp_detect_http";
    const std::string total = prefix + "_total";
    w.family(total, "Connections by the protocol that detection found", MetricType::counter);
    for (std::size_t r = 0; r < kDetectResults; ++r) {
      std::uint64_t n = 0;
      for (const auto* shard : shards) {
        n += shard->by_direction_[index(direction)].results[r].load(std::memory_order_relaxed);
      }
      const Label label{"result", to_string(static_cast<DetectResult>(r))};
      w.sample(total, std::span(&label, 1), n);
    }

    const std::string duration = prefix + "_duration_seconds";
    w.family(duration, "Time from accept to a protocol decision", MetricType::histogram);
    std::uint64_t cumulative = 0;
    std::uint64_t sum_ns = 0;
    const std::string bucket_name = duration + "_bucket";
    for (std::size_t b = 0; b <= kDetectBucketBounds.size(); ++b) {
      for (const auto* shard : shards) {
        cumulative +=
            shard->by_direction_[index(direction)].buckets[b].load(std::memory_order_relaxed);
      }
      const std::string le =
          b < kDetectBucketBounds.size() ? fmt::format("{}", kDetectBucketBounds[b]) : "+Inf";
      const Label label{"le", le};
      w.sample(bucket_name, std::span(&label, 1), cumulative);
    }
    for (const auto* shard : shards) {
      sum_ns += shard->by_direction_[index(direction)].sum_ns.load(std::memory_order_relaxed);
    }
    w.sample(duration + "_sum", {}, static_cast<double>(sum_ns) / 1e9);
    w.sample(duration + "_count", {}, cumulative);
  }
}

}  // namespace weft::metrics
