// Runs one coroutine on a test io_context from the test's thread, bounded in time, so that a
// hang fails the test instead of the test run.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <optional>

namespace weft::test {

/// The coroutine's result, or nullopt when it did not finish within `limit` (its operations are
/// then left pending on `ioc`). Runs `ioc` on the calling thread meanwhile.
template <class T>
std::optional<T> run_coro(boost::asio::io_context& ioc, boost::asio::awaitable<T> coro,
                          std::chrono::steady_clock::duration limit = std::chrono::seconds(20)) {
  auto future = boost::asio::co_spawn(ioc, std::move(coro), boost::asio::use_future);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  ioc.restart();
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    ioc.run_one_for(std::chrono::milliseconds(50));
    if (ioc.stopped()) ioc.restart();
  }
  return future.get();
}

}  // namespace weft::test
