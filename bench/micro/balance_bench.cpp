// Micro benchmarks of the balancer's per-request path: a P2C pick over 10 and 1,000 endpoints,
// with equal and with differing weights, and a lease from pick to first byte.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <memory>

#include "weft/balance/balancer.hpp"

namespace {

namespace asio = boost::asio;
using weft::Clock;
using weft::balance::Balancer;
using weft::balance::BalancerConfig;

weft::discovery::Service service(std::size_t n, bool weighted) {
  weft::discovery::Service s;
  s.name = "web.emojivoto.svc.cluster.local";
  for (std::size_t i = 0; i < n; ++i) {
    weft::discovery::Endpoint e;
    e.addr = {asio::ip::make_address_v4(0x0a000000u + static_cast<unsigned>(i + 1)), 8080};
    e.weight = weighted ? 1 + static_cast<std::uint32_t>(i % 4) : 1;
    s.endpoints.push_back(e);
  }
  return s;
}

// A balancer over state.range(0) endpoints; weighted: weights 1 to 4 in turn.
std::shared_ptr<Balancer> balancer(asio::io_context& ioc, const benchmark::State& state,
                                   bool weighted) {
  return std::make_shared<Balancer>(ioc.get_executor(),
                                    service(static_cast<std::size_t>(state.range(0)), weighted),
                                    BalancerConfig{}, 1);
}

void BM_Pick(benchmark::State& state, bool weighted) {
  asio::io_context ioc;
  auto b = balancer(ioc, state, weighted);
  auto now = Clock::now();
  for (auto _ : state) {
    now += std::chrono::microseconds(1);  // each pick decays two estimates, as in service
    benchmark::DoNotOptimize(b->pick(now));
  }
}
BENCHMARK_CAPTURE(BM_Pick, uniform, false)->Arg(10)->Arg(1000);
BENCHMARK_CAPTURE(BM_Pick, weighted, true)->Arg(10)->Arg(1000);

// What a request costs the balancer: pick, lease (pending +1), first byte (a sample, pending -1).
void BM_LeaseFirstByte(benchmark::State& state) {
  asio::io_context ioc;
  auto b = balancer(ioc, state, false);
  auto now = Clock::now();
  for (auto _ : state) {
    now += std::chrono::microseconds(2);
    weft::balance::Lease lease = b->try_acquire(now);
    lease.first_byte(now + std::chrono::microseconds(1));
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_LeaseFirstByte)->Arg(10)->Arg(1000);

}  // namespace
