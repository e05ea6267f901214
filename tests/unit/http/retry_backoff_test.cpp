// Unit tests for the wait before a retry: always within Linkerd's 25 ms to 250 ms, growing with
// the attempt, jittered, and reproducible from a seed.
#include "weft/http/retry_backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace weft::http {
namespace {

using namespace std::chrono_literals;

constexpr int kSamples = 2000;

std::chrono::nanoseconds mean_wait(std::uint32_t attempt, std::minstd_rand& rng) {
  std::chrono::nanoseconds sum{0};
  for (int i = 0; i < kSamples; ++i) sum += retry_backoff(attempt, rng);
  return sum / kSamples;
}

TEST(RetryBackoff, AlwaysWithinTwentyFiveToTwoHundredFiftyMs) {
  std::minstd_rand rng(42);
  for (std::uint32_t attempt : {0u, 1u, 2u, 3u, 4u, 5u, 8u, 31u, 32u, 64u, 4'000'000'000u}) {
    for (int i = 0; i < kSamples; ++i) {
      const auto wait = retry_backoff(attempt, rng);
      ASSERT_GE(wait, 25ms) << "attempt " << attempt;
      ASSERT_LE(wait, 250ms) << "attempt " << attempt;
    }
  }
}

TEST(RetryBackoff, GrowsWithTheAttemptUpToTheCap) {
  std::minstd_rand rng(7);
  const auto first = mean_wait(1, rng);
  const auto second = mean_wait(2, rng);
  const auto third = mean_wait(3, rng);
  const auto late = mean_wait(10, rng);
  EXPECT_LT(first, 40ms);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_LT(third, late);
  EXPECT_GE(late, 150ms);
  EXPECT_EQ(mean_wait(0, rng) < 40ms, true);  // attempt 0 is read as the first
}

TEST(RetryBackoff, IsJittered) {
  std::minstd_rand rng(1);
  std::set<std::chrono::nanoseconds::rep> waits;
  for (int i = 0; i < 100; ++i) waits.insert(retry_backoff(3, rng).count());
  EXPECT_GT(waits.size(), 50u);
}

TEST(RetryBackoff, SameSeedSameWaits) {
  std::minstd_rand a(99);
  std::minstd_rand b(99);
  for (std::uint32_t attempt = 1; attempt < 20; ++attempt) {
    EXPECT_EQ(retry_backoff(attempt, a), retry_backoff(attempt, b));
  }
}

}  // namespace
}  // namespace weft::http
