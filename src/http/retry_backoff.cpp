#include "weft/http/retry_backoff.hpp"

#include <algorithm>

#include "weft/balance/backoff.hpp"

namespace weft::http {

std::chrono::nanoseconds retry_backoff(std::uint32_t attempt, std::minstd_rand& rng) noexcept {
  static constexpr balance::BackoffParams kParams{kRetryBackoffMin, kRetryBackoffMax, 0.25};
  // The clamp keeps Linkerd's bounds whatever the jitter does at either end: a retry never waits
  // less than 25 ms (the endpoint gets a moment) nor more than 250 ms (the client is waiting).
  return std::clamp<std::chrono::nanoseconds>(backoff_delay(kParams, std::max(attempt, 1u), rng),
                                              kRetryBackoffMin, kRetryBackoffMax);
}

}  // namespace weft::http
