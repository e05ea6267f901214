// Registry::render: sums every shard's tcp series per label set, expires the idle ones and writes
// all families (the HTTP ones are in http_render.cpp).
#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "expiry.hpp"
#include "weft/metrics/process.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {
namespace {

// One label set's counters summed over the shards, as read at render time.
struct TcpTotals {
  std::uint64_t opens = 0;
  std::uint64_t open_connections = 0;
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
  std::uint64_t closed = 0;  // all closes, for expiry
  std::array<std::uint64_t, kCloseSlots> closes{};
  std::map<std::string, std::uint64_t, std::less<>> rare_closes;
};

using TcpTotalsMap = std::map<TcpKey, TcpTotals, TcpKeyLess>;

void add_series(TcpTotals& t, const detail::TcpSeries& s) {
  // Closes first, with acquire: every close read was preceded by its open, so the open count read
  // afterwards is at least the close count and the gauge never goes negative.
  std::uint64_t closed = 0;
  for (std::size_t i = 0; i < kCloseSlots; ++i) {
    const std::uint64_t n = s.closes[i].load(std::memory_order_acquire);
    t.closes[i] += n;
    closed += n;
  }
  {
    std::lock_guard lock(s.rare_mu);
    closed += s.rare_close_count;
    for (const auto& [name, n] : s.rare_closes) t.rare_closes[name] += n;
  }
  const std::uint64_t opens = s.open_total.load(std::memory_order_relaxed);
  t.opens += opens;
  t.closed += closed;
  t.open_connections += opens > closed ? opens - closed : 0;
  t.read_bytes += s.read_bytes.load(std::memory_order_relaxed);
  t.write_bytes += s.write_bytes.load(std::memory_order_relaxed);
}

// The label values of one key, formatted once per render: seven (the TLS value's label named
// by the series' side), then the pre-rendered dst_* labels (nothing when there are none).
struct TcpLabelSet {
  std::string addr;
  std::string ip;
  std::string port;
  std::array<Label, 9> labels{};  // 8 for most families, 9 with errno

  explicit TcpLabelSet(const TcpKey& k)
      : addr(format_target_addr(k.target)),
        ip(k.target.address().to_string()),
        port(std::to_string(k.target.port())) {
    labels[0] = {"direction", to_string(k.direction)};
    labels[1] = {"peer", to_string(k.peer)};
    labels[2] = {"target_addr", addr};
    labels[3] = {"target_ip", ip};
    labels[4] = {"target_port", port};
    labels[5] = {"tls", to_string(k.tls.status)};
    labels[6] = {tls_value_label(k.tls.status, tls_side(k.peer)), k.tls.value};
    labels[7] = {"", k.dst_labels};
  }
  TcpLabelSet(const TcpLabelSet&) = delete;  // labels point into this object's strings
  TcpLabelSet& operator=(const TcpLabelSet&) = delete;

  std::span<const Label> base() const { return {labels.data(), 8}; }
  std::span<const Label> with_errno(std::string_view name) {
    labels[8] = {"errno", name};
    return {labels.data(), 9};
  }
};

void write_closes(TextWriter& w, TcpLabelSet& ls, const TcpTotals& t) {
  // Sorted by errno name, "" (clean) first.
  std::map<std::string_view, std::uint64_t> by_name;
  for (std::size_t i = 0; i < kCloseSlots; ++i) {
    if (t.closes[i] != 0) by_name[errno_to_name(slot_errno(i))] += t.closes[i];
  }
  for (const auto& [name, n] : t.rare_closes) by_name[name] += n;
  for (const auto& [name, n] : by_name) w.sample("tcp_close_total", ls.with_errno(name), n);
}

}  // namespace

Registry::Registry(std::size_t shards, Clock::duration retain_idle)
    : retain_idle_(retain_idle), expiry_(std::make_unique<Expiry>()) {
  shards_.reserve(std::max<std::size_t>(shards, 1));
  for (std::size_t i = 0; i < std::max<std::size_t>(shards, 1); ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

Registry::~Registry() = default;

void Registry::render_tcp(std::string& out, Clock::time_point now) const {
  std::lock_guard lock(expiry_->mu);
  render_tcp_locked(out, now);
}

void Registry::render_tcp_locked(std::string& out, Clock::time_point now) const {
  TcpTotalsMap totals;
  {
    // Every shard at once, so that a label set is dropped from all shards or from none and its
    // sum never goes backwards. Workers take only their own shard's mutex: no lock-order cycle.
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(shards_.size());
    for (const auto& shard : shards_) locks.emplace_back(shard->mu_);
    for (const auto& shard : shards_) {
      for (const auto& [key, series] : shard->tcp_) {
        add_series(totals.try_emplace(key).first->second, *series);
      }
    }
    for (auto it = totals.begin(); it != totals.end();) {
      const TcpTotals& t = it->second;
      const std::uint64_t sum = t.opens + t.closed + t.read_bytes + t.write_bytes;
      // No open connection in any shard: no handle points to these series.
      if (!expired(expiry_->tcp, it->first, sum, t.opens != t.closed, now, retain_idle_)) {
        ++it;
        continue;
      }
      for (const auto& shard : shards_) shard->tcp_.erase(it->first);
      expiry_->tcp.erase(it->first);
      it = totals.erase(it);
    }
  }
  std::vector<std::unique_ptr<TcpLabelSet>> label_sets;
  label_sets.reserve(totals.size());
  for (const auto& entry : totals) label_sets.push_back(std::make_unique<TcpLabelSet>(entry.first));

  // About 6 lines of ~200 bytes per label set: reserve once instead of doubling a large string.
  out.reserve(out.size() + 1024 + totals.size() * 1280);
  TextWriter w(out);
  auto each = [&](auto&& fn) {
    std::size_t i = 0;
    for (const auto& entry : totals) fn(*label_sets[i++], entry.second);
  };
  w.family("tcp_open_total", "Total count of opened connections", MetricType::counter);
  each(
      [&](TcpLabelSet& ls, const TcpTotals& t) { w.sample("tcp_open_total", ls.base(), t.opens); });
  w.family("tcp_close_total", "Total count of closed connections", MetricType::counter);
  each([&](TcpLabelSet& ls, const TcpTotals& t) { write_closes(w, ls, t); });
  w.family("tcp_open_connections", "Number of currently-open connections", MetricType::gauge);
  each([&](TcpLabelSet& ls, const TcpTotals& t) {
    w.sample("tcp_open_connections", ls.base(), t.open_connections);
  });
  w.family("tcp_read_bytes_total", "Total count of bytes read from peers", MetricType::counter);
  each([&](TcpLabelSet& ls, const TcpTotals& t) {
    w.sample("tcp_read_bytes_total", ls.base(), t.read_bytes);
  });
  w.family("tcp_write_bytes_total", "Total count of bytes written to peers", MetricType::counter);
  each([&](TcpLabelSet& ls, const TcpTotals& t) {
    w.sample("tcp_write_bytes_total", ls.base(), t.write_bytes);
  });
}

std::string Registry::render(Clock::time_point now) const {
  std::string out;
  std::lock_guard lock(expiry_->mu);
  render_tcp_locked(out, now);
  render_http_locked(out, now);
  render_routes_locked(out, now);
  TextWriter w(out);
  std::vector<const DetectMetrics*> detect;
  for (const auto& shard : shards_) detect.push_back(&shard->detect());
  render_detect(detect, w);
  std::vector<const BalancerGauges*> balancers;
  for (const auto& shard : shards_) balancers.push_back(&shard->balancer());
  render_balancer_gauges(balancers, w);
  if (extra_) extra_(w);
  write_process_metrics(w, read_process_stats());
  write_build_info(w);
  return out;
}

}  // namespace weft::metrics
