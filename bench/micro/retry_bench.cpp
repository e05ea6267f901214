// Micro benchmarks of the retry paths: the route metrics of one retried request, the route
// lookup, the retry budget's deposit and withdrawal, the override-header check that every request
// field goes through, and an HTTP route lookup that carries dst_* labels.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <string_view>

#include "weft/http/request_policy.hpp"
#include "weft/http/retry_budget.hpp"
#include "weft/metrics/route.hpp"
#include "weft/metrics/tcp.hpp"

namespace {

using weft::Clock;
using weft::metrics::Classification;
using weft::metrics::Registry;
using weft::metrics::ResponseOutcome;

// A request that failed once and succeeded on its retry: every count the route families take.
// No lock, no allocation.
void BM_RouteRetriedRequest(benchmark::State& state) {
  Registry registry(1);
  auto route = registry.shard(0).routes().open("web-svc.emojivoto.svc.cluster.local", "GET /api/");
  const ResponseOutcome failed{503, -1, Classification::failure, ""};
  const ResponseOutcome ok{200, -1, Classification::success, ""};
  for (auto _ : state) {
    route.count_request();
    route.count_actual_request();
    route.count_actual_response(failed);
    route.count_retry();
    route.count_actual_request();
    route.count_actual_response(ok);
    route.observe_latency(200, std::chrono::microseconds(800));
    route.count_response(ok);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_RouteRetriedRequest);

// RouteRegistry::open on a series the shard has (map lookup under an uncontended mutex).
void BM_RouteOpen(benchmark::State& state) {
  Registry registry(1);
  auto warm = registry.shard(0).routes().open("web-svc.emojivoto.svc.cluster.local", "GET /api/");
  for (auto _ : state) {
    auto route =
        registry.shard(0).routes().open("web-svc.emojivoto.svc.cluster.local", "GET /api/");
    benchmark::DoNotOptimize(route);
  }
}
BENCHMARK(BM_RouteOpen);

// A deposit and a withdrawal per request, time moving 1 ms per request (so buckets rotate).
void BM_RetryBudgetDepositWithdraw(benchmark::State& state) {
  const auto t0 = Clock::time_point{} + std::chrono::hours(1);
  weft::http::RetryBudget budget(weft::discovery::RetryBudgetConfig{}, 1.0, t0);
  auto now = t0;
  for (auto _ : state) {
    now += std::chrono::milliseconds(1);
    budget.deposit(now);
    benchmark::DoNotOptimize(budget.try_withdraw(now));
  }
}
BENCHMARK(BM_RetryBudgetDepositWithdraw);

// The check every request field goes through before it is forwarded.
void BM_IsPolicyHeader(benchmark::State& state) {
  constexpr std::array<std::string_view, 6> kNames = {
      "content-type", "user-agent", "accept", "weft-retry-limit", "x-request-id", "te"};
  for (auto _ : state) {
    for (auto name : kNames) benchmark::DoNotOptimize(weft::http::is_policy_header(name));
  }
}
BENCHMARK(BM_IsPolicyHeader);

// open_route on an existing series whose key includes dst_* labels: still no allocation.
void BM_HttpOpenRouteDstLabels(benchmark::State& state) {
  Registry registry(1);
  const weft::metrics::HttpTarget target{
      weft::metrics::Direction::outbound, "web-svc:80",
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("10.244.1.5"), 8080),
      weft::metrics::TlsRef::no_identity("not_provided_by_service_discovery"),
      R"(dst_namespace="emojivoto",dst_deployment="web",dst_pod="web-5f86")"};
  auto warm = registry.shard(0).http().open_route(target);
  for (auto _ : state) {
    auto route = registry.shard(0).http().open_route(target);
    benchmark::DoNotOptimize(route);
  }
}
BENCHMARK(BM_HttpOpenRouteDstLabels);

}  // namespace
