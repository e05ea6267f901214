// The wait before a retry: Linkerd's exponential backoff from 25 ms to 250 ms, with jitter so that
// the clients that saw the same failure do not retry in step. Built on balance::backoff_delay (the
// connect backoff) with retry parameters; pure, over the caller's RNG.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace weft::http {

inline constexpr std::chrono::milliseconds kRetryBackoffMin{25};
inline constexpr std::chrono::milliseconds kRetryBackoffMax{250};

/// The wait before retry number `attempt` (1 for the first retry): 25 ms doubling per attempt up
/// to 250 ms, spread by ±25 %, and always within [25 ms, 250 ms].
std::chrono::nanoseconds retry_backoff(std::uint32_t attempt, std::minstd_rand& rng) noexcept;

}  // namespace weft::http
