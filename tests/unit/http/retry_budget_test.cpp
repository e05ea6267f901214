// Unit tests for the retry budget: deposits and the ratio, the free retries and their share,
// expiry after the ttl (deposits and withdrawals alike), exhaustion and recovery, and the rate a
// retry storm settles at. Explicit time points only.
#include "weft/http/retry_budget.hpp"

#include <gtest/gtest.h>

namespace weft::http {
namespace {

using namespace std::chrono_literals;

const Clock::time_point t0 = Clock::time_point{} + 1h;

discovery::RetryBudgetConfig config(double ratio, std::uint32_t min_per_second,
                                    core::duration ttl = 10s) {
  return discovery::RetryBudgetConfig{ratio, min_per_second, ttl};
}

// How many retries the budget grants at `now` before it refuses.
int drain(RetryBudget& b, Clock::time_point now) {
  int n = 0;
  while (b.try_withdraw(now)) ++n;
  return n;
}

TEST(RetryBudget, FreeRetriesAreMinPerSecondTimesTtl) {
  RetryBudget b(config(0.2, 10), 1.0, t0);
  EXPECT_DOUBLE_EQ(b.balance(t0), 100.0);
  EXPECT_EQ(drain(b, t0), 100);
  EXPECT_DOUBLE_EQ(b.balance(t0), 0.0);
  EXPECT_FALSE(b.try_withdraw(t0));
}

TEST(RetryBudget, EachRequestDepositsRatioOfARetry) {
  RetryBudget b(config(0.2, 0), 1.0, t0);
  EXPECT_FALSE(b.try_withdraw(t0));
  for (int i = 0; i < 4; ++i) b.deposit(t0);
  EXPECT_NEAR(b.balance(t0), 0.8, 1e-12);
  EXPECT_FALSE(b.try_withdraw(t0));  // 0.8 < 1: nothing taken
  EXPECT_NEAR(b.balance(t0), 0.8, 1e-12);
  b.deposit(t0);  // 5 × 0.2 = 1
  EXPECT_TRUE(b.try_withdraw(t0));
  EXPECT_FALSE(b.try_withdraw(t0));
  for (int i = 0; i < 50; ++i) b.deposit(t0);
  EXPECT_EQ(drain(b, t0), 10);
}

TEST(RetryBudget, RatioAndFreeRetriesAdd) {
  RetryBudget b(config(0.5, 1, 4s), 1.0, t0);  // 4 free retries per 4 s window
  for (int i = 0; i < 6; ++i) b.deposit(t0);   // + 3
  EXPECT_DOUBLE_EQ(b.balance(t0), 7.0);
  EXPECT_EQ(drain(b, t0), 7);
}

TEST(RetryBudget, ShareSplitsTheFreeRetriesBetweenWorkers) {
  RetryBudget half(config(0.2, 10), 0.5, t0);
  EXPECT_EQ(drain(half, t0), 50);
  RetryBudget quarter(config(0.2, 10), 0.25, t0);
  EXPECT_EQ(drain(quarter, t0), 25);
  // The ratio part is not shared: each worker's own requests pay for its retries.
  for (int i = 0; i < 10; ++i) quarter.deposit(t0);
  EXPECT_EQ(drain(quarter, t0), 2);
}

TEST(RetryBudget, DepositsExpireAfterTheTtl) {
  RetryBudget b(config(0.2, 0), 1.0, t0);  // buckets of 1 s starting at t0
  for (int i = 0; i < 5; ++i) b.deposit(t0 + 500ms);
  EXPECT_NEAR(b.balance(t0 + 9s), 1.0, 1e-12);
  EXPECT_NEAR(b.balance(t0 + 9999ms), 1.0, 1e-12);
  // The bucket [t0, t0+1s) is reused at t0+10s: its deposits leave whole.
  EXPECT_DOUBLE_EQ(b.balance(t0 + 10s), 0.0);
  EXPECT_FALSE(b.try_withdraw(t0 + 10s));
}

TEST(RetryBudget, ADepositCountsForBetweenNineTenthsOfTheTtlAndTheTtl) {
  RetryBudget b(config(1.0, 0), 1.0, t0);
  b.deposit(t0 + 999ms);  // late in the first bucket
  EXPECT_DOUBLE_EQ(b.balance(t0 + 9999ms), 1.0);
  EXPECT_DOUBLE_EQ(b.balance(t0 + 10s), 0.0);  // lived 9.001 s
  b.deposit(t0 + 10s);  // first instant of a bucket
  EXPECT_DOUBLE_EQ(b.balance(t0 + 19999ms), 1.0);
  EXPECT_DOUBLE_EQ(b.balance(t0 + 20s), 0.0);  // lived exactly the ttl
}

TEST(RetryBudget, WithdrawalsExpireSoFreeRetriesComeBack) {
  RetryBudget b(config(0.2, 1), 1.0, t0);  // 10 free per window
  EXPECT_EQ(drain(b, t0), 10);
  EXPECT_EQ(drain(b, t0 + 9s), 0);
  EXPECT_EQ(drain(b, t0 + 10s), 10);
  // Spent over time, they come back bucket by bucket.
  RetryBudget c(config(0.2, 1), 1.0, t0);
  for (int s = 0; s < 10; ++s) EXPECT_TRUE(c.try_withdraw(t0 + std::chrono::seconds(s)));
  EXPECT_FALSE(c.try_withdraw(t0 + 9500ms));
  EXPECT_EQ(drain(c, t0 + 10s), 1);
  EXPECT_EQ(drain(c, t0 + 11s), 1);
}

TEST(RetryBudget, ExhaustionAndRecovery) {
  RetryBudget b(config(0.2, 0), 1.0, t0);
  for (int i = 0; i < 10; ++i) b.deposit(t0);
  EXPECT_EQ(drain(b, t0 + 5s), 2);  // the withdrawals sit in a later bucket than the deposits
  // The deposits leave before the retries they paid for: the balance goes below zero, and
  // new requests must first pay that back.
  EXPECT_NEAR(b.balance(t0 + 10s), -2.0, 1e-12);
  for (int i = 0; i < 14; ++i) b.deposit(t0 + 10s);
  EXPECT_NEAR(b.balance(t0 + 10s), 0.8, 1e-12);
  EXPECT_FALSE(b.try_withdraw(t0 + 10s));
  // Once the withdrawals expire too, those 14 deposits are all there is.
  EXPECT_NEAR(b.balance(t0 + 15s), 2.8, 1e-12);
  EXPECT_EQ(drain(b, t0 + 15s), 2);
}

TEST(RetryBudget, ALongIdlePeriodLeavesOnlyTheFreeRetries) {
  RetryBudget b(config(0.2, 10), 1.0, t0);
  for (int i = 0; i < 1000; ++i) b.deposit(t0);
  EXPECT_EQ(drain(b, t0), 300);
  EXPECT_DOUBLE_EQ(b.balance(t0 + 24h), 100.0);
  EXPECT_DOUBLE_EQ(b.balance(t0 + 24h + 3s), 100.0);
}

TEST(RetryBudget, TimeGoingBackwardsChangesNothing) {
  RetryBudget b(config(0.2, 0), 1.0, t0);
  for (int i = 0; i < 5; ++i) b.deposit(t0 + 5s);
  EXPECT_NEAR(b.balance(t0), 1.0, 1e-12);
  b.deposit(t0 + 1s);  // counted in the current bucket
  EXPECT_NEAR(b.balance(t0 + 5s), 1.2, 1e-12);
  EXPECT_DOUBLE_EQ(b.balance(t0 + 15s), 0.0);
}

TEST(RetryBudget, ZeroRatioLeavesOnlyTheFreeRetries) {
  RetryBudget b(config(0.0, 2), 1.0, t0);
  for (int i = 0; i < 1000; ++i) b.deposit(t0);
  EXPECT_EQ(drain(b, t0), 20);
}

// Every request fails and asks for one retry, 100 requests a second: the budget settles at
// ratio + min_per_second / rate = 0.2 + 10/100 of the requests, however long the storm lasts.
TEST(RetryBudget, ARetryStormSettlesAtRatioPlusTheFreeRate) {
  RetryBudget b(config(0.2, 10), 1.0, t0);
  int retries_before = 0;
  int retries = 0;
  int requests = 0;
  for (int i = 0; i < 6000; ++i) {  // 60 s at 10 ms intervals
    const auto now = t0 + std::chrono::milliseconds(10 * i);
    b.deposit(now);
    const bool retried = b.try_withdraw(now);
    if (i < 2000) {
      retries_before += retried ? 1 : 0;
    } else {
      ++requests;
      retries += retried ? 1 : 0;
    }
  }
  // The first window also spends the initial reserve at once.
  EXPECT_GE(retries_before, 100);
  EXPECT_LE(retries_before, 0.2 * 2000 + 10 * 20 + 100);
  EXPECT_NEAR(static_cast<double>(retries) / requests, 0.3, 0.01) << retries;
}

}  // namespace
}  // namespace weft::http
