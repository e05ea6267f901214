// Exponential backoff with jitter, for reconnecting to an endpoint that refused: each failure
// doubles the wait from `min` up to `max`, and the wait is spread by ±`jitter` so that the
// workers and pods that saw the same failure do not retry in step. Pure, over a caller's RNG.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace weft::balance {

struct BackoffParams {
  std::chrono::milliseconds min{100};
  std::chrono::milliseconds max{60000};
  double jitter = 0.1;  // 0..1: the fraction of the wait that is random
};

/// The wait after the `failures`-th consecutive failure (1 for the first).
std::chrono::nanoseconds backoff_delay(const BackoffParams& params, std::uint32_t failures,
                                       std::minstd_rand& rng) noexcept;

}  // namespace weft::balance
