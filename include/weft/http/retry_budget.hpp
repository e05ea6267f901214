// Linkerd's (Finagle's) retry budget: every request deposits `ratio` of a retry, and `min_per_second`
// retries per second are free; a retry withdraws one. Deposits expire after `ttl`, so the budget
// follows the recent request rate and a burst of failures cannot become a retry storm. Kept per
// worker and service (no locks): with W workers each gets min_per_second / W of the free retries.
// Time-bucketed, O(1) per call, explicit time points for tests.
#pragma once

#include <array>
#include <cstdint>

#include "weft/core/clock.hpp"
#include "weft/discovery/table.hpp"

namespace weft::http {

class RetryBudget {
 public:
  /// `share`: this worker's fraction of the free retries (1 / workers).
  RetryBudget(const discovery::RetryBudgetConfig& config, double share, Clock::time_point now);

  /// A request (first try) was sent.
  void deposit(Clock::time_point now) noexcept;
  /// Takes one retry from the budget; false (and nothing taken) when it is spent.
  bool try_withdraw(Clock::time_point now) noexcept;
  /// Retries the budget would allow now (for tests and debugging).
  double balance(Clock::time_point now) noexcept;

 private:
  static constexpr std::size_t kBuckets = 10;  // the ttl is counted in tenths
  void advance(Clock::time_point now) noexcept;

  double ratio_;
  double free_per_second_;
  Clock::duration bucket_width_;
  std::array<double, kBuckets> deposits_{};
  std::array<double, kBuckets> withdrawals_{};
  std::size_t head_ = 0;
  Clock::time_point head_start_;
};

}  // namespace weft::http
