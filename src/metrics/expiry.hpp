// What the registry remembers between renders to expire idle series (Linkerd's
// METRICS_RETAIN_IDLE): per label set, the last total it saw and the render time at which that
// total last changed. Counters only grow, so the sum of a series' counters changes exactly when
// any of them does; the workers never read a clock for this. Private to src/metrics.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "http_series.hpp"
#include "route_series.hpp"
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
  std::map<detail::RouteKey, LastChange, detail::RouteKeyLess> routes;        // guarded by mu
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

/// Orders pointers to keys by the keys.
template <class KeyLess>
struct KeyPtrLess {
  template <class Key>
  bool operator()(const Key* a, const Key* b) const noexcept {
    return KeyLess{}(*a, *b);
  }
};

/// The per-label-set sums of one kind of handle-referenced series (HTTP routes, destination
/// routes), keyed by the first shard's key object: series outlive the render, since only a render
/// (which holds Expiry::mu throughout) removes them.
template <class Key, class KeyLess, class Totals>
using TotalsByKey = std::map<const Key*, Totals, KeyPtrLess<KeyLess>>;

/// Sums every shard's series per label set (`Totals::add(series)`, then `refs` and `activity()`)
/// and drops, from every shard and from `seen`, the label sets that `expired` lets go. Every
/// shard is locked at once (`state_of(shard).mu`, guarding `.routes`), so that a label set is
/// dropped from all shards or from none and its sums never go backwards; workers take only their
/// own shard's mutex, so there is no lock-order cycle. The caller holds Expiry::mu.
template <class Key, class KeyLess, class Totals, class StateOf, class Seen>
TotalsByKey<Key, KeyLess, Totals> collect_and_expire(
    const std::vector<std::unique_ptr<Shard>>& shards, StateOf state_of, Seen& seen,
    Clock::time_point now, Clock::duration retain) {
  TotalsByKey<Key, KeyLess, Totals> totals;
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(shards.size());
  for (const auto& shard : shards) locks.emplace_back(state_of(*shard).mu);
  for (const auto& shard : shards) {
    for (const auto& [key, series] : state_of(*shard).routes) {
      totals.try_emplace(&series->key).first->second.add(*series);
    }
  }
  for (auto it = totals.begin(); it != totals.end();) {
    const Totals& t = it->second;
    if (!expired(seen, *it->first, t.activity(), t.refs != 0, now, retain)) {
      ++it;
      continue;
    }
    // No handle in any shard (refs 0 under every shard's mutex): nothing can write to these.
    const Key key = *it->first;  // it->first dies with the first erase
    it = totals.erase(it);
    seen.erase(key);
    for (const auto& shard : shards) state_of(*shard).routes.erase(key);
  }
  return totals;
}

}  // namespace weft::metrics
