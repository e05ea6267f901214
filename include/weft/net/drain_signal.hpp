// A worker's drain signal: set once when the proxy starts to shut down, so that long-lived
// connections end gracefully (an HTTP/1 connection closes after its current response, an HTTP/2
// connection sends GOAWAY) instead of being cut when the grace period ends. Lives on one worker's
// io_context; every member runs on that worker's thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace weft::net {

class DrainSignal {
 public:
  explicit DrainSignal(const boost::asio::any_io_executor& executor);

  /// Whether drain has started.
  bool draining() const noexcept { return draining_; }
  /// Starts the drain and wakes every wait(). Idempotent.
  void start();
  /// Completes when drain starts (at once if it has). Cancellable, e.g. as one side of `||`.
  boost::asio::awaitable<void> wait();

 private:
  // Never expires by itself; start() cancels it, which completes every pending wait.
  boost::asio::steady_timer timer_;
  bool draining_ = false;
};

}  // namespace weft::net
