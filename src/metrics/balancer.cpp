#include "weft/metrics/balancer.hpp"

#include <algorithm>
#include <array>

namespace weft::metrics {

void BalancerGauges::set(std::string_view dst, Counts counts) {
  std::lock_guard lock(mu_);
  auto it = by_dst_.find(dst);
  if (it == by_dst_.end()) it = by_dst_.emplace(std::string(dst), Counts{}).first;
  it->second = counts;
}

void BalancerGauges::remove(std::string_view dst) {
  std::lock_guard lock(mu_);
  if (auto it = by_dst_.find(dst); it != by_dst_.end()) by_dst_.erase(it);
}

void render_balancer_gauges(std::span<const BalancerGauges* const> shards, TextWriter& w) {
  // Each worker balances a service on its own, so every worker that has sent to a service holds
  // a full view of its endpoints. Summing the workers would count each endpoint once per worker
  // (and the total would change with how many workers happened to see traffic); the largest view
  // per state is the endpoint count a user expects, and equals it whenever the workers agree.
  std::map<std::string, BalancerGauges::Counts, std::less<>> combined;
  for (const BalancerGauges* shard : shards) {
    shard->for_each([&](std::string_view dst, BalancerGauges::Counts c) {
      auto it = combined.find(dst);
      if (it == combined.end()) it = combined.emplace(std::string(dst), c).first;
      it->second.ready = std::max(it->second.ready, c.ready);
      it->second.pending = std::max(it->second.pending, c.pending);
    });
  }
  if (combined.empty()) return;
  constexpr std::string_view kName = "outbound_http_balancer_endpoints";
  w.family(kName, "Endpoints of a service's balancer, by whether they can take requests now",
           MetricType::gauge);
  for (const auto& [dst, c] : combined) {
    const std::array<Label, 2> ready{Label{"endpoint_state", "ready"}, Label{"dst", dst}};
    w.sample(kName, ready, static_cast<std::uint64_t>(c.ready));
    const std::array<Label, 2> pending{Label{"endpoint_state", "pending"}, Label{"dst", dst}};
    w.sample(kName, pending, static_cast<std::uint64_t>(c.pending));
  }
}

}  // namespace weft::metrics
