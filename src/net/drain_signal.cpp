#include "weft/net/drain_signal.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace weft::net {

namespace asio = boost::asio;

DrainSignal::DrainSignal(const asio::any_io_executor& executor)
    : timer_(executor, asio::steady_timer::time_point::max()) {}

void DrainSignal::start() {
  draining_ = true;
  timer_.cancel();
}

asio::awaitable<void> DrainSignal::wait() {
  while (!draining_) {
    // Completes with operation_aborted both when start() cancels the timer and when the waiter
    // itself is cancelled; the loop tells them apart by draining_, and a cancelled waiter's
    // coroutine is being torn down by its `||` anyway.
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec && !draining_) co_return;
  }
}

}  // namespace weft::net
