#include "weft/http/retry_budget.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace weft::http {
namespace {

// Float slack for the ≥ 1 test: 5 deposits at ratio 0.2 must pay for one retry even when the
// product rounds a hair below 1.
constexpr double kEpsilon = 1e-9;

}  // namespace

RetryBudget::RetryBudget(const discovery::RetryBudgetConfig& config, double share,
                         Clock::time_point now)
    : ratio_(std::max(config.ratio, 0.0)),
      reserve_(static_cast<double>(config.min_per_second) *
               std::chrono::duration<double>(config.ttl).count() * std::clamp(share, 0.0, 1.0)),
      bucket_width_(std::max<Clock::duration>(
          std::chrono::duration_cast<Clock::duration>(config.ttl) / static_cast<int>(kBuckets),
          std::chrono::milliseconds(1))),
      head_start_(now) {}

void RetryBudget::advance(Clock::time_point now) noexcept {
  if (now < head_start_ + bucket_width_) return;  // still in the current bucket (or time went back)
  const std::int64_t steps = (now - head_start_) / bucket_width_;
  // Each step starts a new bucket, dropping what the oldest one held; after kBuckets steps the
  // whole window is empty, so a long idle period costs no more than a full turn.
  for (auto i = std::min<std::int64_t>(steps, kBuckets); i > 0; --i) {
    head_ = (head_ + 1) % kBuckets;
    deposit_sum_ -= std::exchange(deposits_[head_], 0);
    withdrawal_sum_ -= std::exchange(withdrawals_[head_], 0);
  }
  head_start_ += steps * bucket_width_;
}

void RetryBudget::deposit(Clock::time_point now) noexcept {
  advance(now);
  ++deposits_[head_];
  ++deposit_sum_;
}

double RetryBudget::balance(Clock::time_point now) noexcept {
  advance(now);
  return static_cast<double>(deposit_sum_) * ratio_ + reserve_ -
         static_cast<double>(withdrawal_sum_);
}

bool RetryBudget::try_withdraw(Clock::time_point now) noexcept {
  if (balance(now) < 1.0 - kEpsilon) return false;
  ++withdrawals_[head_];
  ++withdrawal_sum_;
  return true;
}

}  // namespace weft::http
