// Linkerd's (Finagle's) retry budget: every request deposits `ratio` of a retry, and `min_per_second`
// retries per second are free; a retry withdraws one. Deposits expire after `ttl`, so the budget
// follows the recent request rate and a burst of failures cannot become a retry storm. Kept per
// worker and service (no locks): with W workers each gets min_per_second / W of the free retries.
// Time-bucketed, O(1) per call, explicit time points for tests.
//
// The exact rule (tower's TpsBudget, which Linkerd uses, in retry units rather than its scaled
// integers):
//
//   balance(now) = D × ratio + min_per_second × ttl_seconds × share − R
//
// where D is the number of deposits and R the number of withdrawals still in the window at `now`.
// A retry is allowed, and withdraws 1, when balance(now) ≥ 1. The window is a ring of 10 buckets
// of ttl / 10 each (at least 1 ms): the current bucket and the nine before it. A deposit or
// withdrawal therefore counts for between 0.9 × ttl and ttl, and leaves the window whole when its
// bucket is reused. Withdrawals expire like deposits, so the free retries come back too: at most
// min_per_second × ttl_seconds × share free retries are spent in any window.
#pragma once

#include <array>
#include <cstdint>

#include "weft/core/clock.hpp"
#include "weft/discovery/table.hpp"

namespace weft::http {

class RetryBudget {
 public:
  /// `share`: this worker's fraction of the free retries (1 / workers), from 0 to 1.
  RetryBudget(const discovery::RetryBudgetConfig& config, double share, Clock::time_point now);

  /// A request (first try) was sent.
  void deposit(Clock::time_point now) noexcept;
  /// Takes one retry from the budget; false (and nothing taken) when it is spent.
  bool try_withdraw(Clock::time_point now) noexcept;
  /// Retries the budget would allow now (for tests and debugging); may be negative right after
  /// the window lost deposits that paid for retries still in it.
  double balance(Clock::time_point now) noexcept;

 private:
  static constexpr std::size_t kBuckets = 10;  // the ttl is counted in tenths
  void advance(Clock::time_point now) noexcept;

  double ratio_;
  double reserve_;  // min_per_second × ttl_seconds × share: the free retries of one window
  Clock::duration bucket_width_;
  // Counts, not amounts, so that the running sums stay exact however long the budget lives.
  std::array<std::uint64_t, kBuckets> deposits_{};
  std::array<std::uint64_t, kBuckets> withdrawals_{};
  std::uint64_t deposit_sum_ = 0;     // sum of deposits_
  std::uint64_t withdrawal_sum_ = 0;  // sum of withdrawals_
  std::size_t head_ = 0;              // the current bucket
  Clock::time_point head_start_;      // when the current bucket began
};

}  // namespace weft::http
