// Exponential backoff, min·2^(failures-1) capped at max, spread symmetrically by ±jitter.
//
// Linkerd's exp-backoff adds jitter only upwards (base + uniform[0, jitter·base], then caps the
// sum at max). weft spreads it both ways instead, uniformly in [(1-jitter)·d, (1+jitter)·d] as
// the header promises, so that the mean wait is the nominal one; the cap at max applies before
// the jitter, so a wait is never above max·(1+jitter).
#include "weft/balance/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace weft::balance {
namespace {

// Beyond 2^62 the doubled wait is above any representable max anyway.
constexpr std::uint32_t kMaxDoublings = 62;

// Uniform in [0, 1], from the generator's whole range.
double unit(std::minstd_rand& rng) noexcept {
  constexpr double span = static_cast<double>(std::minstd_rand::max() - std::minstd_rand::min());
  return static_cast<double>(rng() - std::minstd_rand::min()) / span;
}

}  // namespace

std::chrono::nanoseconds backoff_delay(const BackoffParams& params, std::uint32_t failures,
                                       std::minstd_rand& rng) noexcept {
  if (failures == 0) return std::chrono::nanoseconds::zero();  // nothing failed: no wait
  // In double nanoseconds: no integer overflow whatever the parameters.
  const double min_ns = std::chrono::duration<double, std::nano>(params.min).count();
  const double max_ns = std::chrono::duration<double, std::nano>(params.max).count();
  const int doublings = static_cast<int>(std::min(failures - 1, kMaxDoublings));
  const double base =
      std::clamp(std::ldexp(std::max(min_ns, 0.0), doublings), 0.0, std::max(max_ns, 0.0));
  const double jitter = std::isnan(params.jitter) ? 0.0 : std::clamp(params.jitter, 0.0, 1.0);
  // 2u-1 is uniform in [-1, 1]; the generator is drawn even with no jitter, so that a sequence of
  // waits consumes the RNG the same way whatever the parameters.
  const double spread = (2.0 * unit(rng) - 1.0) * jitter;
  // A max near nanoseconds::max() must not overflow the conversion back.
  constexpr double kLongest = 9.2e18;
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>(std::min(base * (1.0 + spread), kLongest)));
}

}  // namespace weft::balance
