#include "weft/metrics/tcp.hpp"

#include <utility>

namespace weft::metrics {

TcpConnMetrics& TcpConnMetrics::operator=(TcpConnMetrics&& other) noexcept {
  if (this != &other) {
    close({});
    series_ = std::exchange(other.series_, nullptr);
  }
  return *this;
}

void TcpConnMetrics::close(const boost::system::error_code& ec) noexcept {
  detail::TcpSeries* series = std::exchange(series_, nullptr);
  if (series == nullptr) return;
  const int err = close_errno(ec);
  if (auto slot = close_slot(err)) {
    detail::bump(series->closes[*slot], 1, std::memory_order_release);
    return;
  }
  // Rare errno: the mutex orders this close after the open for a reader that takes it too.
  try {
    std::lock_guard lock(series->rare_mu);
    ++series->rare_close_count;
    ++series->rare_closes[std::string(errno_to_name(err))];
  } catch (...) {
    // Out of memory for the label: the close still counts in rare_close_count when the lock
    // was taken; nothing else to do without throwing from a destructor.
  }
}

TcpConnMetrics Shard::open_tcp(const TcpTarget& target) {
  const TcpKeyRef ref{target.direction, target.peer, target.target, target.tls, target.dst_labels};
  detail::TcpSeries* series = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = tcp_.find(ref);
    if (it == tcp_.end()) {
      it = tcp_.emplace(TcpKey::from(ref), std::make_unique<detail::TcpSeries>()).first;
      it->second->tls = it->first.tls.ref();
    }
    series = it->second.get();
    // Under the mutex: expiry removes a series only when its opens equal its closes, which it
    // reads under the same mutex, so it never removes one that is being handed out.
    detail::bump(series->open_total, 1);
  }
  return TcpConnMetrics(series);
}

}  // namespace weft::metrics
