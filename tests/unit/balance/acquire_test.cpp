// acquire(): the queue of requests waiting for a ready endpoint, load shedding, failfast and the
// wake-ups. Runs the coroutines on a test io_context; asserts outcomes, never durations.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <optional>

#include "balance_fixture.hpp"
#include "weft/core/error.hpp"

namespace weft::balance {
namespace {

using namespace std::chrono_literals;
using test::make_balancer;
using test::make_service;
namespace asio = boost::asio;

// The outcome of one acquire(), filled in when the coroutine ends.
struct Outcome {
  std::optional<result<Lease>> value;
  bool done() const { return value.has_value(); }
  bool leased() const { return done() && value->has_value() && static_cast<bool>(**value); }
  boost::system::error_code error() const {
    return done() && value->has_error() ? value->error() : boost::system::error_code{};
  }
};

void spawn_acquire(asio::io_context& ioc, const std::shared_ptr<Balancer>& b, Outcome& out) {
  asio::co_spawn(ioc, b->acquire(), [&out](std::exception_ptr e, result<Lease> r) {
    if (e) std::rethrow_exception(e);
    out.value.emplace(std::move(r));
  });
}

BalancerConfig config(std::size_t capacity, std::chrono::milliseconds failfast) {
  BalancerConfig c = test::test_config();
  c.queue_capacity = capacity;
  c.failfast_timeout = failfast;
  return c;
}

// Runs what is ready now. An io_context that ran out of work stops, and a stopped one runs
// nothing until restarted.
void poll(asio::io_context& ioc) {
  ioc.restart();
  ioc.poll();
}

// Whether a new acquire() gets a lease without waiting.
bool leases_at_once(asio::io_context& ioc, const std::shared_ptr<Balancer>& b) {
  Outcome out;
  spawn_acquire(ioc, b, out);
  poll(ioc);
  return out.leased();
}

// Runs until `pred` holds, or gives up after 5 s (a hang is a failure, not a wait).
template <class Pred>
bool run_until(asio::io_context& ioc, Pred pred) {
  const auto give_up = Clock::now() + 5s;
  while (!pred() && Clock::now() < give_up) {
    ioc.restart();
    ioc.run_one_for(50ms);
  }
  return pred();
}

TEST(Acquire, AReadyEndpointIsLeasedAtOnce) {
  asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(2), config(10, 10s));
  EXPECT_TRUE(leases_at_once(ioc, b));
}

TEST(Acquire, ShedsLoadWhenTheQueueIsFull) {
  asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(0), config(2, 10s));
  Outcome first, second, third;
  spawn_acquire(ioc, b, first);
  spawn_acquire(ioc, b, second);
  poll(ioc);
  EXPECT_FALSE(first.done());
  EXPECT_FALSE(second.done());
  spawn_acquire(ioc, b, third);
  poll(ioc);
  ASSERT_TRUE(third.done());
  EXPECT_EQ(third.error(), errc::loadshed);
  // The queued ones are still served once an endpoint arrives.
  b->update(make_service(1), Clock::now());
  poll(ioc);
  EXPECT_TRUE(first.leased());
  EXPECT_TRUE(second.leased());
}

TEST(Acquire, AnEndpointArrivingThroughUpdateWakesTheWaiters) {
  asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(0), config(10, 10s));
  Outcome out;
  spawn_acquire(ioc, b, out);
  poll(ioc);
  ASSERT_FALSE(out.done());
  b->update(make_service(1), Clock::now());
  poll(ioc);
  ASSERT_TRUE(out.leased());
  EXPECT_EQ((*out.value)->endpoint().addr, test::addr(1));
  EXPECT_EQ(b->endpoints()[0]->pending, 1u);
}

TEST(Acquire, FailsFastWhenNoEndpointBecomesReadyAndThenAtOnce) {
  asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(0), config(10, 20ms));
  Outcome a, c;
  spawn_acquire(ioc, b, a);
  spawn_acquire(ioc, b, c);
  ASSERT_TRUE(run_until(ioc, [&] { return a.done() && c.done(); }));
  EXPECT_EQ(a.error(), errc::failfast);
  EXPECT_EQ(c.error(), errc::failfast);
  EXPECT_TRUE(b->in_failfast());

  Outcome later;
  spawn_acquire(ioc, b, later);
  poll(ioc);  // no waiting at all while in failfast
  ASSERT_TRUE(later.done());
  EXPECT_EQ(later.error(), errc::failfast);
}

TEST(Acquire, FailfastEndsWhenAnEndpointIsAdded) {
  asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(0), config(10, 20ms));
  Outcome a;
  spawn_acquire(ioc, b, a);
  ASSERT_TRUE(run_until(ioc, [&] { return a.done(); }));
  ASSERT_TRUE(b->in_failfast());
  b->update(make_service(1), Clock::now());
  EXPECT_FALSE(b->in_failfast());
  EXPECT_TRUE(leases_at_once(ioc, b));
}

TEST(Acquire, FailfastEndsWhenABackoffEnds) {
  asio::io_context ioc;
  BalancerConfig c = config(10, 20ms);
  c.connect_backoff = {250ms, 250ms, 0.0};  // ends well after the failfast timeout
  auto b = make_balancer(ioc, make_service(1), c);
  b->try_acquire(Clock::now()).connect_failed(Clock::now());
  ASSERT_EQ(b->ready_endpoints(Clock::now()), 0u);
  Outcome a;
  spawn_acquire(ioc, b, a);
  ASSERT_TRUE(run_until(ioc, [&] { return a.done(); }));
  EXPECT_EQ(a.error(), errc::failfast);
  // The balancer's backoff timer fires when the backoff ends, and failfast ends with it.
  ASSERT_TRUE(run_until(ioc, [&] { return !b->in_failfast(); }));
  EXPECT_TRUE(leases_at_once(ioc, b));
}

TEST(Acquire, AWaiterIsWokenWhenABackoffEnds) {
  asio::io_context ioc;
  BalancerConfig c = config(10, 10s);
  c.connect_backoff = {30ms, 30ms, 0.0};
  auto b = make_balancer(ioc, make_service(1), c);
  b->try_acquire(Clock::now()).connect_failed(Clock::now());
  Outcome a;
  spawn_acquire(ioc, b, a);
  ASSERT_TRUE(run_until(ioc, [&] { return a.done(); }));
  EXPECT_TRUE(a.leased());
  EXPECT_FALSE(b->in_failfast());
}

TEST(Acquire, WaitersFailWhenTheServiceLeavesTheTable) {
  asio::io_context ioc;
  BalancerSet set(ioc.get_executor(), config(10, 10s), 1);
  const auto gone = make_service(0, {}, "gone.svc");
  Outcome a;
  spawn_acquire(ioc, set.get(gone), a);
  poll(ioc);
  ASSERT_FALSE(a.done());
  set.sync(std::span<const discovery::Service>{}, Clock::now());
  poll(ioc);
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.error(), errc::failfast);
}

TEST(Acquire, ACancelledWaiterStopsWaiting) {
  asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(0), config(1, 10s));
  asio::cancellation_signal cancel;
  Outcome a;
  asio::co_spawn(
      ioc, b->acquire(),
      asio::bind_cancellation_slot(cancel.slot(), [&a](std::exception_ptr e, result<Lease> r) {
        if (e) std::rethrow_exception(e);
        a.value.emplace(std::move(r));
      }));
  poll(ioc);
  ASSERT_FALSE(a.done());
  cancel.emit(asio::cancellation_type::terminal);
  poll(ioc);
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.error(), asio::error::operation_aborted);
  // Its place in the queue (capacity 1) is free again.
  Outcome next;
  spawn_acquire(ioc, b, next);
  poll(ioc);
  EXPECT_FALSE(next.done());
  b->update(make_service(1), Clock::now());
  poll(ioc);
  EXPECT_TRUE(next.leased());
}

}  // namespace
}  // namespace weft::balance
