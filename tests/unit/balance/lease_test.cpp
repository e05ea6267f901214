// Leases (pending accounting, RTT samples, connect failures) and update()'s reconciliation.
#include <gtest/gtest.h>

#include "balance_fixture.hpp"
#include "weft/core/config.hpp"

namespace weft::balance {
namespace {

using namespace std::chrono_literals;
using test::make_balancer;
using test::make_service;

// One endpoint on a balancer that no io_context runs: leases and their counts only.
class LeaseOnOneEndpoint : public ::testing::Test {
 protected:
  boost::asio::io_context ioc;
  std::shared_ptr<Balancer> b = make_balancer(ioc, make_service(1));
  EndpointState& e = *b->endpoints()[0];
  const Clock::time_point now = Clock::now();
};

TEST_F(LeaseOnOneEndpoint, CountsAsPendingUntilTheFirstByte) {
  Lease a = b->try_acquire(now);
  Lease c = b->try_acquire(now);
  ASSERT_TRUE(a);
  EXPECT_EQ(e.pending, 2u);
  a.first_byte(now + 1ms);
  EXPECT_EQ(e.pending, 1u);
  a.first_byte(now + 2ms);  // once only
  a.release();
  EXPECT_EQ(e.pending, 1u);
  c.release();
  EXPECT_EQ(e.pending, 0u);
}

TEST_F(LeaseOnOneEndpoint, TheDestructorAndMovesReleaseExactlyOnce) {
  {
    Lease a = b->try_acquire(now);
    Lease moved(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from lease is empty
    EXPECT_EQ(e.pending, 1u);
    Lease target = b->try_acquire(now);
    EXPECT_EQ(e.pending, 2u);
    target = std::move(moved);  // the target's own lease ends
    EXPECT_EQ(e.pending, 1u);
  }
  EXPECT_EQ(e.pending, 0u);
}

TEST_F(LeaseOnOneEndpoint, TheFirstByteIsAnRttSampleFromThePick) {
  Lease a = b->try_acquire(now);
  a.first_byte(now + 100ms);  // above the 30 ms default: a peak
  EXPECT_DOUBLE_EQ(e.ewma.estimate(now + 100ms), 100e6);
}

TEST_F(LeaseOnOneEndpoint, ConnectionSetupIsNotPartOfTheRttSample) {
  Lease a = b->try_acquire(now);
  a.connected(now + 200ms);  // a slow connect and handshake
  a.first_byte(now + 201ms);
  EXPECT_LT(e.ewma.estimate(now + 201ms), 31e6);  // no 201 ms peak: a 1 ms sample
}

TEST_F(LeaseOnOneEndpoint, AReleaseIsNoSample) {
  Lease a = b->try_acquire(now);
  a.release();
  a.first_byte(now + 100ms);
  EXPECT_LT(e.ewma.estimate(now + 100ms), 31e6);
}

TEST(Lease, AConnectFailureBacksTheEndpointOffAndReleases) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(2));
  const auto now = Clock::now();
  Lease a(b->endpoints()[0], b, now);
  a.connect_failed(now);
  EndpointState& e = *b->endpoints()[0];
  EXPECT_EQ(e.pending, 0u);
  EXPECT_EQ(e.connect_failures, 1u);
  EXPECT_EQ(e.backoff_until, now + 100ms);  // test_config: 100 ms, no jitter
  EXPECT_FALSE(e.ready(now + 99ms));
  EXPECT_TRUE(e.ready(now + 100ms));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(b->pick(now), b->endpoints()[1].get());
  EXPECT_EQ(b->ready_endpoints(now), 1u);
  EXPECT_EQ(b->pending_endpoints(now), 1u);

  Lease again(b->endpoints()[0], b, now + 100ms);
  again.connect_failed(now + 100ms);
  EXPECT_EQ(e.connect_failures, 2u);
  Lease ok(b->endpoints()[0], b, now + 1s);
  ok.connected(now + 1s);
  EXPECT_EQ(e.connect_failures, 0u);
}

TEST(Lease, OutlivesItsEndpointsRemovalAndItsBalancer) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(1));
  const auto now = Clock::now();
  Lease a = b->try_acquire(now);
  b->update(make_service(0), now);
  b.reset();  // the lease keeps the balancer and the endpoint alive
  EXPECT_EQ(a.endpoint().addr, test::addr(1));
  a.connect_failed(now);  // a removed endpoint still backs off, harmlessly
  a.first_byte(now);
}

TEST(Update, KeepsTheStateOfKeptEndpointsAndDrainsGoneOnes) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(2));
  const auto now = Clock::now();
  auto first = b->endpoints()[0];
  auto second = b->endpoints()[1];
  Lease held(first, b, now);
  Lease on_second(second, b, now);
  Lease sampled(first, b, now);
  sampled.first_byte(now + 200ms);

  auto next = make_service(0);
  next.endpoints.push_back({test::addr(3), 1, "", "", {}, ""});
  discovery::Endpoint kept{test::addr(1),
                           5,
                           "spiffe://cluster.local/ns/a/sa/b",
                           "b.a.serviceaccount.identity.cluster.local",
                           {{"pod", "web-1"}},
                           "dst_pod=\"web-1\""};
  next.endpoints.push_back(kept);
  b->update(next, now + 200ms);

  ASSERT_EQ(b->endpoints().size(), 2u);
  EXPECT_EQ(b->endpoints()[0]->meta.addr, test::addr(3));  // the table's order
  EXPECT_EQ(b->endpoints()[1], first);                     // the same state object
  EXPECT_EQ(first->meta.weight, 5u);
  EXPECT_EQ(first->meta.identity, "spiffe://cluster.local/ns/a/sa/b");
  EXPECT_EQ(first->meta.metric_labels, "dst_pod=\"web-1\"");
  EXPECT_EQ(first->pending, 1u);
  EXPECT_DOUBLE_EQ(first->ewma.estimate(now + 200ms), 200e6);
  EXPECT_DOUBLE_EQ(b->endpoints()[0]->ewma.estimate(now + 200ms), 30e6);  // new: the default

  EXPECT_TRUE(second->removed);
  EXPECT_FALSE(second->ready(now));
  EXPECT_EQ(second->pending, 1u);  // its work in flight finishes
  on_second.release();
  EXPECT_EQ(second->pending, 0u);
}

TEST(Update, IgnoresADuplicateAddress) {
  boost::asio::io_context ioc;
  auto s = make_service(2);
  s.endpoints.push_back(s.endpoints[0]);
  auto b = make_balancer(ioc, s);
  EXPECT_EQ(b->endpoints().size(), 2u);
}

TEST(Update, WeightsTakeEffect) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(2));
  const auto now = Clock::now();
  b->update(make_service(2, {1, 1000}), now);
  int heavy = 0;
  for (int i = 0; i < 100; ++i) heavy += b->pick(now) == b->endpoints()[1].get() ? 1 : 0;
  EXPECT_EQ(heavy, 100);  // equal costs: cost/weight always favours the heavy one
}

TEST(BalancerConfig, ComesFromTheQueueAndBackoffConfiguration) {
  core::QueueConfig q;
  q.queue_capacity = 7;
  q.failfast_timeout = 1500ms;
  core::BackoffConfig bo;
  bo.min = 50ms;
  bo.max = 5000ms;
  bo.jitter = 0.25;
  const BalancerConfig c = from_config(q, bo);
  EXPECT_EQ(c.queue_capacity, 7u);
  EXPECT_EQ(c.failfast_timeout, 1500ms);
  EXPECT_EQ(c.connect_backoff.min, 50ms);
  EXPECT_EQ(c.connect_backoff.max, 5000ms);
  EXPECT_DOUBLE_EQ(c.connect_backoff.jitter, 0.25);
}

}  // namespace
}  // namespace weft::balance
