// The proxy's one clock, and the small time decisions made from it. Decisions take explicit
// time points so that unit tests drive them without waiting.
#pragma once

#include <chrono>

namespace weft {

using Clock = std::chrono::steady_clock;

/// Remembers the last time bytes moved and answers when the idle deadline falls.
class IdleTracker {
 public:
  IdleTracker(Clock::time_point now, Clock::duration timeout) : last_(now), timeout_(timeout) {}
  void touch(Clock::time_point now) noexcept { last_ = now; }
  Clock::time_point deadline() const noexcept { return last_ + timeout_; }
  bool expired(Clock::time_point now) const noexcept { return now >= deadline(); }

 private:
  Clock::time_point last_;
  Clock::duration timeout_;
};

}  // namespace weft
