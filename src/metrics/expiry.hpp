// What the registry remembers between renders to expire idle series (Linkerd's
// METRICS_RETAIN_IDLE): per label set, the last total it saw and the render time at which that
// total last changed. Counters only grow, so the sum of a series' counters changes exactly when
// any of them does; the workers never read a clock for this. Private to src/metrics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

#include "http_series.hpp"
#include "weft/core/clock.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {

struct LastChange {
  std::uint64_t total = 0;
  Clock::time_point at{};
};

struct Registry::Expiry {
  /// Serializes renders: the maps below, and the removal of series, happen under it.
  std::mutex mu;
  std::map<TcpKey, LastChange, TcpKeyLess> tcp;                               // guarded by mu
  std::map<detail::HttpRouteKey, LastChange, detail::HttpRouteKeyLess> http;  // guarded by mu
};

/// Records `total` as seen at `now` and answers whether the series may be dropped: nothing
/// references it (`in_use` false) and it has neither changed nor been in use for at least
/// `retain`. A label set seen for the first time counts as changed at `now`; one in use counts as
/// changed at every render, so the retention starts when its last handle goes.
template <class Map, class Key>
bool expired(Map& seen, const Key& key, std::uint64_t total, bool in_use, Clock::time_point now,
             Clock::duration retain) {
  auto it = seen.find(key);
  if (it == seen.end()) {
    seen.emplace(key, LastChange{total, now});
    return false;
  }
  if (in_use || it->second.total != total) {
    it->second = LastChange{total, now};
    return false;
  }
  return now - it->second.at >= retain;
}

}  // namespace weft::metrics
