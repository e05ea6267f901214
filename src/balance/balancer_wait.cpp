// The balancer's waiting side: requests that find no ready endpoint queue (bounded, else
// loadshed), wake when an endpoint becomes ready (new in the table, or its connect backoff
// ended), and fail with failfast when none does within the failfast timeout, after which the
// balancer answers failfast at once until an endpoint is ready again (Linkerd's failfast layer).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "weft/balance/balancer.hpp"
#include "weft/core/error.hpp"
#include "weft/metrics/balancer.hpp"

namespace weft::balance {
namespace asio = boost::asio;

namespace {

// Counts a request as waiting for as long as it is in scope.
class WaitingGuard {
 public:
  explicit WaitingGuard(std::size_t& waiting) noexcept : waiting_(waiting) { ++waiting_; }
  ~WaitingGuard() { --waiting_; }
  WaitingGuard(const WaitingGuard&) = delete;
  WaitingGuard& operator=(const WaitingGuard&) = delete;

 private:
  std::size_t& waiting_;
};

result<Lease> fail(errc e) { return result<Lease>(make_error_code(e)); }

}  // namespace

asio::awaitable<result<Lease>> Balancer::acquire() {
  using asio::experimental::awaitable_operators::operator||;
  // Waiting suspends this coroutine: the balancer must outlive it even if the table drops it.
  const std::shared_ptr<Balancer> self = shared_from_this();
  if (Lease lease = try_acquire(Clock::now())) {
    failfast_ = false;
    co_return std::move(lease);
  }
  if (waiting_ >= config_.queue_capacity) co_return fail(errc::loadshed);
  if (failfast_) co_return fail(errc::failfast);

  WaitingGuard waiting(waiting_);
  const Clock::time_point deadline = Clock::now() + config_.failfast_timeout;
  asio::steady_timer timer(wake_.get_executor(), deadline);
  for (;;) {
    // Both waits complete as values (as_tuple): a cancelled wake_ (the wake-up) ends the race as
    // much as the deadline does, and nothing throws.
    co_await (wake_.async_wait(asio::as_tuple(asio::use_awaitable)) ||
              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
      co_return result<Lease>(make_error_code(asio::error::operation_aborted));
    }
    const Clock::time_point now = Clock::now();
    if (Lease lease = try_acquire(now)) {
      failfast_ = false;
      co_return std::move(lease);
    }
    if (failfast_) co_return fail(errc::failfast);
    if (now >= deadline) {
      enter_failfast();
      co_return fail(errc::failfast);
    }
  }
}

void Balancer::enter_failfast() noexcept {
  if (!failfast_ && !retired_) {
    spdlog::warn("balancer {}: service in fail-fast: no endpoint became ready within {} ms",
                 service_name_, config_.failfast_timeout.count());
  }
  failfast_ = true;
  // The queued requests fail now rather than each at its own deadline, as Linkerd's do.
  if (waiting_ > 0) wake_.cancel();
}

void Balancer::on_ready_changed() noexcept { wake_if_ready(Clock::now()); }

void Balancer::wake_if_ready(Clock::time_point now) noexcept {
  if (retired_ || ready_endpoints(now) == 0) return;
  failfast_ = false;
  if (waiting_ > 0) wake_.cancel();
}

void Balancer::on_connect_failed(EndpointState& endpoint, Clock::time_point now) noexcept {
  ++endpoint.connect_failures;
  endpoint.backoff_until = now + std::chrono::duration_cast<Clock::duration>(backoff_delay(
                                     config_.connect_backoff, endpoint.connect_failures, rng_));
  if (endpoint.removed || retired_) return;
  publish_gauges(now);
  arm_backoff_timer(now);
}

void Balancer::arm_backoff_timer(Clock::time_point now) noexcept {
  Clock::time_point earliest = Clock::time_point::max();
  for (const auto& e : endpoints_) {
    if (e->backoff_until > now) earliest = std::min(earliest, e->backoff_until);
  }
  if (earliest == Clock::time_point::max() || earliest >= backoff_timer_at_) return;
  backoff_timer_at_ = earliest;
  backoff_timer_.expires_at(earliest);  // cancels an earlier wait: its handler sees the error
  // A weak pointer: a balancer that nothing else holds may go; its timer's handler then only
  // sees operation_aborted.
  backoff_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (const auto self = weak.lock()) self->on_backoff_timer();
  });
}

void Balancer::on_backoff_timer() noexcept {
  backoff_timer_at_ = Clock::time_point::max();
  if (retired_) return;
  const Clock::time_point now = Clock::now();
  publish_gauges(now);
  wake_if_ready(now);
  arm_backoff_timer(now);  // the next backoff to end, if any
}

void Balancer::retire() noexcept {
  if (retired_) return;
  for (auto& e : endpoints_) e->removed = true;
  endpoints_.clear();
  cumulative_weights_.clear();
  if (gauges_ != nullptr) gauges_->remove(service_name_);
  gauges_ = nullptr;
  backoff_timer_.cancel();
  backoff_timer_at_ = Clock::time_point::max();
  // Those waiting would wait for nothing: they, and any later caller, fail at once.
  failfast_ = true;
  retired_ = true;
  if (waiting_ > 0) wake_.cancel();
}

}  // namespace weft::balance
