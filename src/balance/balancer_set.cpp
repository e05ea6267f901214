// BalancerSet: one worker's balancers by service name, made on first use and kept in step with
// the destination table. And the configuration that they are made with.
#include <string_view>
#include <unordered_set>

#include "weft/balance/balancer.hpp"
#include "weft/core/config.hpp"

namespace weft::balance {
namespace {

// splitmix64's finalizer: spreads a seed so that nearby inputs give unrelated streams.
std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a: std::hash of a string may differ between library builds; this seed stays reproducible.
std::uint64_t hash_name(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

BalancerConfig from_config(const core::QueueConfig& queue, const core::BackoffConfig& backoff) {
  BalancerConfig config;
  config.queue_capacity = queue.queue_capacity;
  config.failfast_timeout = queue.failfast_timeout;
  config.connect_backoff = BackoffParams{backoff.min, backoff.max, backoff.jitter};
  return config;
}

BalancerSet::BalancerSet(const boost::asio::any_io_executor& executor, BalancerConfig config,
                         std::uint64_t seed, metrics::BalancerGauges* gauges)
    : executor_(executor), config_(config), seed_(seed), gauges_(gauges) {}

const std::shared_ptr<Balancer>& BalancerSet::get(const discovery::Service& service) {
  auto it = by_service_.find(service.name);
  if (it == by_service_.end()) {
    auto balancer = std::make_shared<Balancer>(executor_, service, config_,
                                               mix(seed_ ^ hash_name(service.name)), gauges_);
    it = by_service_.emplace(service.name, std::move(balancer)).first;
  }
  return it->second;
}

void BalancerSet::sync(std::span<const discovery::Service> services, Clock::time_point now) {
  std::unordered_set<std::string_view> names;
  names.reserve(services.size());
  for (const discovery::Service& service : services) {
    names.insert(service.name);
    if (auto it = by_service_.find(service.name); it != by_service_.end()) {
      it->second->update(service, now);
    }
  }
  for (auto it = by_service_.begin(); it != by_service_.end();) {
    if (names.contains(it->first)) {
      ++it;
      continue;
    }
    it->second->retire();
    it = by_service_.erase(it);
  }
}

}  // namespace weft::balance
