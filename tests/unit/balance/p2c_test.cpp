// Power of two choices over Peak-EWMA cost, with a seeded RNG and explicit time points.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "balance_fixture.hpp"

namespace weft::balance {
namespace {

using namespace std::chrono_literals;
using test::index_of;
using test::make_balancer;
using test::make_service;

// Gives endpoint `i` an estimate of exactly `rtt` (a peak above the 30 ms default, or decayed to
// it from a peak) by a lease whose first byte comes `rtt` after its pick.
void sample(Balancer& b, std::size_t i, std::chrono::nanoseconds rtt, Clock::time_point at) {
  Lease lease(b.endpoints()[i], b.shared_from_this(), at - rtt);
  lease.first_byte(at);
}

TEST(P2c, NoEndpointsPicksNothing) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(0));
  EXPECT_EQ(b->pick(Clock::now()), nullptr);
  EXPECT_FALSE(b->try_acquire(Clock::now()));
}

TEST(P2c, OneReadyEndpointIsPicked) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(1));
  EXPECT_EQ(b->pick(Clock::now()), b->endpoints()[0].get());
}

TEST(P2c, PrefersTheLowerCost) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(2));
  const auto now = Clock::now();
  sample(*b, 0, 100ms, now);  // endpoint 0: 100 ms, endpoint 1: the 30 ms default
  for (int i = 0; i < 100; ++i) EXPECT_EQ(index_of(*b, b->pick(now)), 1);
}

TEST(P2c, PendingRequestsRaiseTheCost) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(2));
  const auto now = Clock::now();
  // Equal estimates: each lease held makes its endpoint dearer, so picks alternate.
  std::vector<Lease> held;
  std::array<int, 2> picks{};
  for (int i = 0; i < 100; ++i) {
    held.push_back(b->try_acquire(now));
    ++picks[held.back().endpoint().addr == test::addr(1) ? 0 : 1];
  }
  EXPECT_EQ(picks[0], 50);
  EXPECT_EQ(picks[1], 50);
}

// A closed loop of `concurrency` requests at simulated time: each pick is a lease whose first
// byte comes after its endpoint's latency. Returns the picks per endpoint.
std::vector<int> simulate(Balancer& b, const std::vector<std::chrono::milliseconds>& latency,
                          int requests, std::size_t concurrency, Clock::time_point& now) {
  struct InFlight {
    Clock::time_point done;
    Lease lease;
  };
  std::vector<InFlight> in_flight;
  std::vector<int> picks(latency.size(), 0);
  for (int r = 0; r < requests; ++r) {
    if (in_flight.size() == concurrency) {
      auto first = std::min_element(in_flight.begin(), in_flight.end(),
                                    [](const auto& x, const auto& y) { return x.done < y.done; });
      now = std::max(now, first->done);
      first->lease.first_byte(now);
      in_flight.erase(first);
    }
    Lease lease = b.try_acquire(now);
    const int i = test::index_by_addr(b, lease.endpoint().addr);
    ++picks[static_cast<std::size_t>(i)];
    in_flight.push_back({now + latency[static_cast<std::size_t>(i)], std::move(lease)});
  }
  return picks;
}

TEST(P2c, TwoFastEndpointsGetAtLeast90PercentAgainstASlowOne) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(3), test::test_config(), 7);
  auto now = Clock::now();
  const auto picks = simulate(*b, {1ms, 1ms, 40ms}, 1000, 8, now);
  EXPECT_GE(picks[0] + picks[1], 900) << picks[0] << " " << picks[1] << " " << picks[2];
  EXPECT_GT(picks[0], 300);
  EXPECT_GT(picks[1], 300);
}

TEST(P2c, WithSamplesOf1And40MsAtLeast90PercentOfPicksGoToTheFastTwo) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(3), test::test_config(), 3);
  auto now = Clock::now() + 60s;
  // 1 ms, 1 ms and 40 ms estimates: a minute of decay takes the 30 ms default to ~1 ms.
  sample(*b, 0, 1ms, now);
  sample(*b, 1, 1ms, now);
  sample(*b, 2, 40ms, now);
  std::array<int, 3> picks{};
  for (int i = 0; i < 1000; ++i) ++picks[static_cast<std::size_t>(index_of(*b, b->pick(now)))];
  EXPECT_GE(picks[0] + picks[1], 900);
}

TEST(P2c, WeightsOneToThreeGiveOneToThreeSharesAtEqualEstimates) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(4, {1, 3, 1, 3}), test::test_config(), 11);
  const auto now = Clock::now();
  // Equal RTT estimates; the leases stay pending, so cost/weight settles at the weights' ratio.
  std::vector<Lease> held;
  std::array<int, 4> picks{};
  for (int i = 0; i < 1000; ++i) {
    held.push_back(b->try_acquire(now));
    ++picks[static_cast<std::size_t>(test::index_by_addr(*b, held.back().endpoint().addr))];
  }
  const double light = picks[0] + picks[2];
  const double heavy = picks[1] + picks[3];
  EXPECT_NEAR(heavy / light, 3.0, 0.3)
      << picks[0] << " " << picks[1] << " " << picks[2] << " " << picks[3];
}

TEST(P2c, WeightedDrawsFollowTheWeightsWhenCostsTie) {
  boost::asio::io_context ioc;
  // No lease is held, so the estimates stay equal and cost/weight decides: the weight-2
  // endpoint wins every pair it is drawn into (5 pairs in 6, drawn by weight); the two others
  // split the remaining pairs.
  auto b = make_balancer(ioc, make_service(3, {1, 1, 2}), test::test_config(), 5);
  const auto now = Clock::now();
  std::array<int, 3> picks{};
  for (int i = 0; i < 4000; ++i) ++picks[static_cast<std::size_t>(index_of(*b, b->pick(now)))];
  EXPECT_GT(picks[2], picks[0] + picks[1]);
  EXPECT_GT(picks[0], 0);
  EXPECT_GT(picks[1], 0);
}

TEST(P2c, NeverPicksAnEndpointInBackoff) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(10), test::test_config(), 9);
  const auto now = Clock::now();
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 3 && i != 7) b->endpoints()[i]->backoff_until = now + 1h;
  }
  std::array<int, 10> picks{};
  for (int i = 0; i < 1000; ++i) ++picks[static_cast<std::size_t>(index_of(*b, b->pick(now)))];
  EXPECT_EQ(picks[3] + picks[7], 1000);
  EXPECT_GT(picks[3], 0);  // a real choice between the two ready ones, through the scan
  EXPECT_GT(picks[7], 0);

  b->endpoints()[7]->backoff_until = now + 1h;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(index_of(*b, b->pick(now)), 3);
  b->endpoints()[3]->backoff_until = now + 1h;
  EXPECT_EQ(b->pick(now), nullptr);
  // The backoff ends: ready again.
  EXPECT_NE(b->pick(now + 2h), nullptr);
}

TEST(P2c, WeightedNeverPicksAnEndpointInBackoff) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(5, {100, 1, 1, 100, 1}), test::test_config(), 9);
  const auto now = Clock::now();
  b->endpoints()[0]->backoff_until = now + 1h;
  b->endpoints()[3]->backoff_until = now + 1h;
  for (int i = 0; i < 1000; ++i) {
    const int k = index_of(*b, b->pick(now));
    EXPECT_TRUE(k == 1 || k == 2 || k == 4) << k;
  }
}

TEST(P2c, NeverPicksARemovedEndpoint) {
  boost::asio::io_context ioc;
  auto b = make_balancer(ioc, make_service(3));
  auto now = Clock::now();
  Lease on_third(b->endpoints()[2], b, now);
  auto smaller = make_service(2);
  b->update(smaller, now);
  EXPECT_TRUE(on_third.endpoint().addr == test::addr(3));
  for (int i = 0; i < 200; ++i) EXPECT_NE(b->pick(now)->meta.addr, test::addr(3));
}

TEST(P2c, TheSameSeedPicksTheSameSequence) {
  boost::asio::io_context ioc;
  auto a = make_balancer(ioc, make_service(50), test::test_config(), 123);
  auto b = make_balancer(ioc, make_service(50), test::test_config(), 123);
  const auto now = Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(index_of(*a, a->pick(now)), index_of(*b, b->pick(now)));
}

}  // namespace
}  // namespace weft::balance
