// The balancer's endpoint set and its pick: power of two choices over Peak-EWMA cost, candidates
// drawn by weight, endpoints in backoff skipped. The waiting side (acquire, failfast, the backoff
// timer) is in balancer_wait.cpp; leases and the per-worker set in lease.cpp and balancer_set.cpp.
#include "weft/balance/balancer.hpp"

#include <algorithm>
#include <exception>
#include <unordered_map>

#include "weft/metrics/balancer.hpp"

namespace weft::balance {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
// Draws of two candidates before falling back to a scan when candidates are not ready.
constexpr int kDrawAttempts = 3;
// Weighted draws of a second candidate before taking any other one (a heavy endpoint is often
// drawn twice).
constexpr int kDistinctAttempts = 4;

constexpr std::uint64_t kRngSpan =
    std::uint64_t{std::minstd_rand::max()} - std::minstd_rand::min() + 1;

// Uniform in [0, n) from one draw; n is at most an endpoint count, so the product fits.
std::size_t below(std::minstd_rand& rng, std::size_t n) noexcept {
  return static_cast<std::size_t>((std::uint64_t{rng() - std::minstd_rand::min()} * n) / kRngSpan);
}

// Uniform in [0, total) for a total weight that may exceed the generator's range. A shift rather
// than a division: x < 2^31, so (x * total) >> 31 < total.
std::uint64_t below_weight(std::minstd_rand& rng, std::uint64_t total) noexcept {
  const std::uint64_t x = rng() - std::minstd_rand::min();
  if (total <= (std::uint64_t{1} << 33)) return (x * total) >> 31;  // the product fits
  const double u = static_cast<double>(x) / static_cast<double>(kRngSpan);
  return std::min(static_cast<std::uint64_t>(u * static_cast<double>(total)), total - 1);
}

// A weight of 0 is refused by the parser; should one arrive anyway it counts as 1 rather than
// dividing by zero or never being drawn.
std::uint64_t weight_of(const EndpointState& e) noexcept {
  return std::max<std::uint32_t>(e.meta.weight, 1);
}

struct AddrHash {
  std::size_t operator()(const boost::asio::ip::tcp::endpoint& e) const noexcept {
    std::size_t h = e.port();
    if (e.address().is_v4()) return (h << 32) ^ e.address().to_v4().to_uint();
    for (unsigned char b : e.address().to_v6().to_bytes()) h = h * 131 + b;
    return h;
  }
};

}  // namespace

EndpointState::EndpointState(const discovery::Endpoint& meta_in,
                             const discovery::BalancerParams& params, Clock::time_point now)
    : meta(meta_in), ewma(params.default_rtt, params.decay, now) {}

Balancer::Balancer(const boost::asio::any_io_executor& executor, const discovery::Service& service,
                   const BalancerConfig& config, std::uint64_t seed,
                   metrics::BalancerGauges* gauges)
    : service_name_(service.name),
      config_(config),
      params_(service.balancer),
      // minstd_rand needs a seed in [1, modulus - 1]; fold the 64 bits in.
      rng_(static_cast<std::minstd_rand::result_type>((seed ^ (seed >> 31)) % 2147483646u + 1)),
      wake_(executor, Clock::time_point::max()),
      backoff_timer_(executor),
      gauges_(gauges) {
  update(service, Clock::now());
}

Balancer::~Balancer() {
  if (gauges_ != nullptr) gauges_->remove(service_name_);
}

void Balancer::update(const discovery::Service& service, Clock::time_point now) {
  if (retired_) return;
  params_ = service.balancer;
  std::unordered_map<boost::asio::ip::tcp::endpoint, std::shared_ptr<EndpointState>, AddrHash> old;
  old.reserve(endpoints_.size());
  for (auto& e : endpoints_) old.emplace(e->meta.addr, std::move(e));

  std::vector<std::shared_ptr<EndpointState>> next;
  next.reserve(service.endpoints.size());
  bool added = false;
  for (const discovery::Endpoint& meta : service.endpoints) {
    auto it = old.find(meta.addr);
    if (it != old.end()) {
      // Kept: its estimate, pending count and backoff carry over; the metadata is the table's.
      it->second->meta = meta;
      next.push_back(std::move(it->second));
      old.erase(it);
      continue;
    }
    const bool duplicate = std::any_of(next.begin(), next.end(),
                                       [&](const auto& e) { return e->meta.addr == meta.addr; });
    if (duplicate) continue;  // the first entry for an address wins
    next.push_back(std::make_shared<EndpointState>(meta, params_, now));
    added = true;
  }
  // Gone: leases still hold them and finish their work; nothing new is sent to them.
  for (auto& entry : old) entry.second->removed = true;
  endpoints_ = std::move(next);
  rebuild_weights();
  publish_gauges(now);
  if (added) wake_if_ready(now);
}

void Balancer::rebuild_weights() {
  cumulative_weights_.clear();
  const bool uniform = std::all_of(endpoints_.begin(), endpoints_.end(), [&](const auto& e) {
    return weight_of(*e) == weight_of(*endpoints_.front());
  });
  if (uniform) return;
  cumulative_weights_.reserve(endpoints_.size());
  std::uint64_t sum = 0;
  for (const auto& e : endpoints_) cumulative_weights_.push_back(sum += weight_of(*e));
}

std::size_t Balancer::draw() noexcept {
  if (cumulative_weights_.empty()) return below(rng_, endpoints_.size());
  // The first cumulative weight above r (the last one is the total, so there is one), by a binary
  // search without a branch on the data: std::upper_bound (or a ?: that GCC turns into a jump)
  // mispredicts about once per level, which cost some 100 ns over 1,000 endpoints.
  const std::uint64_t r = below_weight(rng_, cumulative_weights_.back());
  const std::uint64_t* base = cumulative_weights_.data();
  std::size_t len = cumulative_weights_.size();
  while (len > 1) {
    const std::size_t half = len / 2;
    base += half * static_cast<std::size_t>(base[half - 1] <= r);  // arithmetic, not a branch
    len -= half;
  }
  return static_cast<std::size_t>(base - cumulative_weights_.data());  // cum[i] > r, the first
}

std::size_t Balancer::better(std::size_t a, std::size_t b, Clock::time_point now) noexcept {
  EndpointState& ea = *endpoints_[a];
  EndpointState& eb = *endpoints_[b];
  const double cost_a = ea.ewma.cost(now, ea.pending);
  const double cost_b = eb.ewma.cost(now, eb.pending);
  // Lower cost per unit of weight; a tie goes to the first candidate (itself drawn by weight).
  if (cumulative_weights_.empty()) return cost_a <= cost_b ? a : b;
  return cost_a * static_cast<double>(weight_of(eb)) <= cost_b * static_cast<double>(weight_of(ea))
             ? a
             : b;
}

std::size_t Balancer::pick_index(Clock::time_point now) noexcept {
  const std::size_t n = endpoints_.size();
  if (n == 0) return kNone;
  if (n == 1) return endpoints_[0]->ready(now) ? 0 : kNone;
  for (int attempt = 0; attempt < kDrawAttempts; ++attempt) {
    std::size_t a = 0;
    std::size_t b = 0;
    if (cumulative_weights_.empty()) {
      // Two distinct indexes in O(1): the second is drawn from the n - 1 others.
      a = below(rng_, n);
      b = below(rng_, n - 1);
      if (b >= a) ++b;
    } else {
      a = draw();
      b = draw();
      for (int i = 0; b == a && i < kDistinctAttempts; ++i) b = draw();
      if (b == a) b = (a + 1 + below(rng_, n - 1)) % n;
    }
    const bool ready_a = endpoints_[a]->ready(now);
    const bool ready_b = endpoints_[b]->ready(now);
    if (ready_a && ready_b) return better(a, b, now);
    // With one candidate not ready there is no choice to make; draw again for a real one.
  }
  return pick_by_scan(now);
}

// The slow path, when draws keep landing on endpoints in backoff: two candidates drawn (by
// weight) among the ready ones only. O(n), no allocation.
std::size_t Balancer::pick_by_scan(Clock::time_point now) noexcept {
  const bool weighted = !cumulative_weights_.empty();
  std::size_t ready = 0;
  std::size_t only = kNone;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (!endpoints_[i]->ready(now)) continue;
    ++ready;
    only = i;
    total += weighted ? weight_of(*endpoints_[i]) : 1;
  }
  if (ready <= 1) return only;  // kNone when none is ready
  auto nth_ready = [&](std::uint64_t r) {
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (!endpoints_[i]->ready(now)) continue;
      const std::uint64_t step = weighted ? weight_of(*endpoints_[i]) : 1;
      if (r < step) return i;
      r -= step;
    }
    return only;  // unreachable: r < total
  };
  const std::size_t a = nth_ready(below_weight(rng_, total));
  std::size_t b = nth_ready(below_weight(rng_, total));
  for (int i = 0; b == a && i < kDistinctAttempts; ++i) b = nth_ready(below_weight(rng_, total));
  if (b == a) {
    // Any other ready endpoint: the next one after a, cyclically.
    for (std::size_t k = 1; k < endpoints_.size(); ++k) {
      const std::size_t i = (a + k) % endpoints_.size();
      if (endpoints_[i]->ready(now)) {
        b = i;
        break;
      }
    }
  }
  return better(a, b, now);
}

EndpointState* Balancer::pick(Clock::time_point now) noexcept {
  const std::size_t i = pick_index(now);
  return i == kNone ? nullptr : endpoints_[i].get();
}

Lease Balancer::try_acquire(Clock::time_point now) noexcept {
  const std::size_t i = pick_index(now);
  if (i == kNone) return {};
  return Lease(endpoints_[i], shared_from_this(), now);
}

std::size_t Balancer::ready_endpoints(Clock::time_point now) const noexcept {
  return static_cast<std::size_t>(std::count_if(endpoints_.begin(), endpoints_.end(),
                                                [&](const auto& e) { return e->ready(now); }));
}

std::size_t Balancer::pending_endpoints(Clock::time_point now) const noexcept {
  return endpoints_.size() - ready_endpoints(now);
}

void Balancer::publish_gauges(Clock::time_point now) noexcept {
  if (gauges_ == nullptr) return;
  const std::size_t ready = ready_endpoints(now);
  const std::size_t pending = endpoints_.size() - ready;
  if (ready == published_ready_ && pending == published_pending_) return;
  published_ready_ = ready;
  published_pending_ = pending;
  try {
    gauges_->set(service_name_, {ready, pending});
  } catch (const std::exception&) {
    // Only a service's first publication allocates (or a broken mutex throws): a missing
    // gauge beats a crash.
  }
}

}  // namespace weft::balance
