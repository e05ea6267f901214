// The gauge outbound_http_balancer_endpoints{endpoint_state="ready|pending",dst="<service>"}:
// how many endpoints each service's balancer can send to, and how many are in connect backoff.
// Balancers live on the workers and publish here only when their counts change (an update from
// the table, a connect failure, a backoff ending), so a mutex is cheap; the admin thread renders.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {

/// One shard's balancer counts, by service. Written by the shard's worker, read by the admin
/// thread; both take the mutex.
class BalancerGauges {
 public:
  struct Counts {
    std::size_t ready = 0;
    std::size_t pending = 0;
  };

  /// Sets the counts of `dst` (allocates only for a service not seen before).
  void set(std::string_view dst, Counts counts);
  /// Drops the series of `dst`: its balancer left the table.
  void remove(std::string_view dst);

  /// Calls f(std::string_view dst, Counts) for every service, under the mutex. Any thread.
  template <class F>
  void for_each(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [dst, counts] : by_dst_) f(std::string_view(dst), counts);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Counts, std::less<>> by_dst_;  // guarded by mu_
};

/// Writes outbound_http_balancer_endpoints, combining the shards per dst (see the .cpp for how).
/// Writes nothing when no balancer has published.
void render_balancer_gauges(std::span<const BalancerGauges* const> shards, TextWriter& w);

}  // namespace weft::metrics
