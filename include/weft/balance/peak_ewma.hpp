// Peak-EWMA, the load estimate of Linkerd's (tower's) balancer: an endpoint's round-trip time,
// smoothed exponentially over a decay window but jumping at once to any sample above it (the
// "peak"), and decaying towards zero while no sample arrives so that an endpoint that was slow
// gets tried again. Its cost is the estimate times (pending requests + 1). Pure arithmetic over
// explicit time points.
#pragma once

#include <chrono>
#include <cstdint>

#include "weft/core/clock.hpp"

namespace weft::balance {

class PeakEwma {
 public:
  /// `default_rtt`: the estimate before any sample; `decay`: the window of the exponential.
  PeakEwma(std::chrono::nanoseconds default_rtt, std::chrono::nanoseconds decay,
           Clock::time_point now) noexcept;

  /// A response's time to first byte, observed at `now`.
  void observe(std::chrono::nanoseconds rtt, Clock::time_point now) noexcept;
  /// The estimate at `now`, decayed since the last update (in ns). Updates the stored estimate
  /// as tower does, so calling it is not free of effect.
  double estimate(Clock::time_point now) noexcept;
  /// estimate(now) × (pending + 1).
  double cost(Clock::time_point now, std::uint32_t pending) noexcept {
    return estimate(now) * (static_cast<double>(pending) + 1.0);
  }

 private:
  double rtt_ns_;
  double decay_ns_;
  Clock::time_point updated_;
};

}  // namespace weft::balance
