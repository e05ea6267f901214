// Connect backoff: the doubling sequence, its cap, the jitter's bounds and huge failure counts.
#include "weft/balance/backoff.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace weft::balance {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

TEST(Backoff, DoublesFromMinUpToMax) {
  const BackoffParams p{100ms, 1000ms, 0.0};
  std::minstd_rand rng(1);
  EXPECT_EQ(backoff_delay(p, 1, rng), 100ms);
  EXPECT_EQ(backoff_delay(p, 2, rng), 200ms);
  EXPECT_EQ(backoff_delay(p, 3, rng), 400ms);
  EXPECT_EQ(backoff_delay(p, 4, rng), 800ms);
  EXPECT_EQ(backoff_delay(p, 5, rng), 1000ms);
  EXPECT_EQ(backoff_delay(p, 50, rng), 1000ms);
}

TEST(Backoff, NoFailureMeansNoWait) {
  std::minstd_rand rng(1);
  EXPECT_EQ(backoff_delay(BackoffParams{}, 0, rng), nanoseconds::zero());
}

TEST(Backoff, HugeFailureCountsStayAtMax) {
  const BackoffParams p{100ms, 60000ms, 0.0};
  std::minstd_rand rng(1);
  for (std::uint32_t f : {63u, 64u, 65u, 1000u, std::numeric_limits<std::uint32_t>::max()}) {
    EXPECT_EQ(backoff_delay(p, f, rng), 60000ms) << f;
  }
}

TEST(Backoff, AnEnormousMaxDoesNotOverflow) {
  const BackoffParams p{std::chrono::hours(1), std::chrono::milliseconds::max(), 0.5};
  std::minstd_rand rng(1);
  nanoseconds last{0};
  for (std::uint32_t f = 1; f < 200; ++f) {
    const nanoseconds d = backoff_delay(p, f, rng);
    EXPECT_GT(d.count(), 0) << f;
    if (f > 80) {
      EXPECT_GE(d, last / 2) << f;  // pinned near the top, never wrapped negative
    }
    last = d;
  }
}

TEST(Backoff, JitterSpreadsEachWaitWithinPlusOrMinusItsFraction) {
  const BackoffParams p{100ms, 60000ms, 0.1};
  std::minstd_rand rng(42);
  for (std::uint32_t f = 1; f <= 12; ++f) {
    const nanoseconds nominal = std::min<nanoseconds>(100ms * (1 << (f - 1)), 60000ms);
    nanoseconds lo = nanoseconds::max();
    nanoseconds hi = nanoseconds::min();
    for (int i = 0; i < 2000; ++i) {
      const nanoseconds d = backoff_delay(p, f, rng);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    EXPECT_GE(lo.count(), nominal.count() * 0.9 - 1) << f;
    EXPECT_LE(hi.count(), nominal.count() * 1.1 + 1) << f;
    EXPECT_LE(hi.count(), 60000e6 * 1.1 + 1) << f;
    // Really spread, both ways.
    EXPECT_LT(lo.count(), nominal.count() * 0.95) << f;
    EXPECT_GT(hi.count(), nominal.count() * 1.05) << f;
  }
}

TEST(Backoff, TheSameSeedGivesTheSameWaits) {
  const BackoffParams p{100ms, 60000ms, 0.5};
  std::minstd_rand a(7);
  std::minstd_rand b(7);
  for (std::uint32_t f = 1; f < 20; ++f) EXPECT_EQ(backoff_delay(p, f, a), backoff_delay(p, f, b));
}

}  // namespace
}  // namespace weft::balance
