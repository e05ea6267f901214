// Tower's PeakEwma (tower/src/load/peak_ewma.rs), sample for sample: the same peak rule, the same
// decay factor exp(-elapsed / window), and estimate() decaying as an update with a zero sample.
#include "weft/balance/peak_ewma.hpp"

#include <cmath>

namespace weft::balance {

PeakEwma::PeakEwma(std::chrono::nanoseconds default_rtt, std::chrono::nanoseconds decay,
                   Clock::time_point now) noexcept
    : rtt_ns_(static_cast<double>(default_rtt.count())),
      decay_ns_(static_cast<double>(decay.count())),
      updated_(now) {}

void PeakEwma::observe(std::chrono::nanoseconds rtt, Clock::time_point now) noexcept {
  const double sample = rtt.count() > 0 ? static_cast<double>(rtt.count()) : 0.0;
  if (rtt_ns_ < sample) {
    // The peak: a slow response counts at once, so a degrading endpoint is avoided at once.
    rtt_ns_ = sample;
  } else {
    // A time point older than the last update (a lease picked before it) counts as no time
    // passing: tower saturates the same way.
    const double elapsed = now > updated_ ? static_cast<double>((now - updated_).count()) : 0.0;
    // A zero window keeps no memory: the estimate becomes the sample (and 0/0 is avoided).
    const double decay = decay_ns_ > 0.0 ? std::exp(-elapsed / decay_ns_) : 0.0;
    rtt_ns_ = rtt_ns_ * decay + sample * (1.0 - decay);
  }
  // Tower stores `now` unconditionally; keeping the later of the two stops an old time point
  // from making the next update count the same interval twice.
  if (now > updated_) updated_ = now;
}

double PeakEwma::estimate(Clock::time_point now) noexcept {
  observe(std::chrono::nanoseconds::zero(), now);
  return rtt_ns_;
}

}  // namespace weft::balance
