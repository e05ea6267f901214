// Peak-EWMA arithmetic at explicit time points, against tower's formulas.
#include "weft/balance/peak_ewma.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace weft::balance {
namespace {

using namespace std::chrono_literals;

const Clock::time_point t0 = Clock::time_point{} + 1h;

constexpr double ms(double v) { return v * 1e6; }  // in the estimate's nanoseconds

TEST(PeakEwma, StartsAtTheDefaultRtt) {
  PeakEwma e(30ms, 10s, t0);
  EXPECT_DOUBLE_EQ(e.estimate(t0), ms(30));
  EXPECT_DOUBLE_EQ(e.cost(t0, 0), ms(30));
}

TEST(PeakEwma, ASampleAboveTheEstimateReplacesIt) {
  PeakEwma e(30ms, 10s, t0);
  e.observe(50ms, t0 + 1s);
  EXPECT_DOUBLE_EQ(e.estimate(t0 + 1s), ms(50));
}

TEST(PeakEwma, ASampleBelowMovesTheEstimateByTheDecayOfTheElapsedTime) {
  PeakEwma e(30ms, 10s, t0);
  e.observe(10ms, t0 + 10s);  // one window: decay e^-1
  const double d = std::exp(-1.0);
  EXPECT_NEAR(e.estimate(t0 + 10s), ms(30) * d + ms(10) * (1 - d), 1.0);
}

TEST(PeakEwma, ASampleAtTheSameInstantChangesNothingUnlessItIsAPeak) {
  PeakEwma e(30ms, 10s, t0);
  e.observe(1ms, t0);  // no time elapsed: decay 1, the old estimate stays
  EXPECT_DOUBLE_EQ(e.estimate(t0), ms(30));
}

TEST(PeakEwma, TheEstimateDecaysTowardsZeroWithoutSamples) {
  PeakEwma e(30ms, 10s, t0);
  EXPECT_NEAR(e.estimate(t0 + 10s), ms(30) * std::exp(-1.0), 1.0);
  EXPECT_NEAR(e.estimate(t0 + 100s), ms(30) * std::exp(-10.0), 1.0);
  EXPECT_LT(e.estimate(t0 + 1000s), 1.0);
}

TEST(PeakEwma, DecayingInStepsEqualsDecayingAtOnce) {
  PeakEwma stepped(30ms, 10s, t0);
  PeakEwma once(30ms, 10s, t0);
  for (int i = 1; i <= 10; ++i) stepped.estimate(t0 + i * 1s);
  EXPECT_NEAR(stepped.estimate(t0 + 10s), once.estimate(t0 + 10s), 1.0);
}

TEST(PeakEwma, CostIsTheEstimateTimesPendingPlusOne) {
  PeakEwma e(30ms, 10s, t0);
  e.observe(40ms, t0);
  EXPECT_DOUBLE_EQ(e.cost(t0, 0), ms(40));
  EXPECT_DOUBLE_EQ(e.cost(t0, 2), ms(120));
}

TEST(PeakEwma, AnOlderTimePointCountsAsNoTimePassing) {
  PeakEwma e(30ms, 10s, t0);
  e.estimate(t0 + 10s);
  const double at_10s = e.estimate(t0 + 10s);
  e.observe(5ms, t0 + 5s);  // a lease picked earlier reports late: no decay, no rewind
  EXPECT_DOUBLE_EQ(e.estimate(t0 + 10s), at_10s);
  // The next interval is counted once, from 10 s.
  EXPECT_NEAR(e.estimate(t0 + 20s), at_10s * std::exp(-1.0), 1.0);
}

TEST(PeakEwma, AZeroDecayWindowForgetsAtOnce) {
  PeakEwma e(30ms, 0s, t0);
  e.observe(10ms, t0);
  EXPECT_DOUBLE_EQ(e.estimate(t0), 0.0);  // decayed to the zero sample of estimate()
}

}  // namespace
}  // namespace weft::balance
