// Micro benchmarks of the metrics hot paths: counting bytes on an open connection, opening and
// closing a connection on an existing series, the per-request golden HTTP metrics, and rendering
// a registry for a scrape.
#include <benchmark/benchmark.h>
#include <spdlog/fmt/fmt.h>

#include <boost/asio/error.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "weft/metrics/tcp.hpp"

namespace {

using weft::metrics::Classification;
using weft::metrics::Direction;
using weft::metrics::HttpTarget;
using weft::metrics::Peer;
using weft::metrics::Registry;
using weft::metrics::TcpTarget;
namespace asio = boost::asio;

TcpTarget target(unsigned short port = 8080) {
  return TcpTarget{Direction::inbound, Peer::src,
                   asio::ip::tcp::endpoint(asio::ip::make_address("10.0.0.1"), port),
                   weft::metrics::TlsRef::no_identity("no_tls_from_remote")};
}

// The per-read cost on the data path: a relaxed load and store, no lock.
void BM_AddRead(benchmark::State& state) {
  Registry registry(1);
  auto conn = registry.shard(0).open_tcp(target());
  for (auto _ : state) {
    conn.add_read(1500);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_AddRead);

// open_tcp on a label set the shard already has (a map lookup under an uncontended mutex, no
// allocation), then a clean close.
void BM_OpenClose(benchmark::State& state) {
  Registry registry(1);
  auto warm = registry.shard(0).open_tcp(target());
  for (auto _ : state) {
    auto conn = registry.shard(0).open_tcp(target());
    conn.close({});
  }
}
BENCHMARK(BM_OpenClose);

// The same with an errno that takes the slot path (ECONNRESET).
void BM_OpenCloseReset(benchmark::State& state) {
  Registry registry(1);
  for (auto _ : state) {
    auto conn = registry.shard(0).open_tcp(target());
    conn.close(asio::error::connection_reset);
  }
}
BENCHMARK(BM_OpenCloseReset);

// open_tcp when the shard holds many label sets (lookup depth).
void BM_OpenCloseManySeries(benchmark::State& state) {
  Registry registry(1);
  const auto series = static_cast<unsigned short>(state.range(0));
  for (unsigned short p = 0; p < series; ++p) registry.shard(0).open_tcp(target(p)).close({});
  unsigned short p = 0;
  for (auto _ : state) {
    auto conn = registry.shard(0).open_tcp(target(p));
    conn.close({});
    p = static_cast<unsigned short>((p + 1) % series);
  }
}
BENCHMARK(BM_OpenCloseManySeries)->Arg(16)->Arg(1024);

// A scrape: render with `range(0)` series in each of two shards.
void BM_Render(benchmark::State& state) {
  Registry registry(2);
  const auto series = static_cast<unsigned short>(state.range(0));
  for (unsigned short p = 0; p < series; ++p) {
    registry.shard(0).open_tcp(target(p)).close({});
    registry.shard(1).open_tcp(target(p)).close(asio::error::connection_reset);
  }
  for (auto _ : state) benchmark::DoNotOptimize(registry.render());
}
BENCHMARK(BM_Render)->Arg(10)->Arg(1000);

HttpTarget http_target(std::string_view authority = "web.default.svc.cluster.local:8080") {
  return HttpTarget{Direction::outbound, authority,
                    asio::ip::tcp::endpoint(asio::ip::make_address("10.0.0.1"), 8080),
                    weft::metrics::TlsRef::no_identity("not_provided_by_service_discovery")};
}

// What every HTTP request costs the metrics on a label set that exists: request_total,
// response_latency_ms and response_total. No lock, no allocation, no clock read.
void BM_HttpRequest(benchmark::State& state) {
  Registry registry(1);
  auto route = registry.shard(0).http().open_route(http_target());
  const weft::metrics::ResponseOutcome ok{200, -1, Classification::success, ""};
  route.count_request();
  route.observe_latency(200, std::chrono::microseconds(800));
  route.count_response(ok);
  for (auto _ : state) {
    route.count_request();
    route.observe_latency(200, std::chrono::microseconds(800));
    route.count_response(ok);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HttpRequest);

// The same when the route has seen `range(0)` response label sets and this one is the oldest
// (the end of the list): gRPC routes see a few statuses.
void BM_HttpRequestManyOutcomes(benchmark::State& state) {
  Registry registry(1);
  auto route = registry.shard(0).http().open_route(http_target());
  const weft::metrics::ResponseOutcome ok{200, 0, Classification::success, ""};
  route.count_response(ok);
  route.observe_latency(200, std::chrono::microseconds(800));
  for (int i = 1; i < state.range(0); ++i) {
    route.count_response({200, i, Classification::failure, ""});
    route.observe_latency(200 + static_cast<unsigned>(i), std::chrono::microseconds(800));
  }
  for (auto _ : state) {
    route.count_request();
    route.observe_latency(200, std::chrono::microseconds(800));
    route.count_response(ok);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HttpRequestManyOutcomes)->Arg(4)->Arg(17);

// Whether a connection's handle still fits the next request (the check before a lookup).
void BM_HttpRouteMatches(benchmark::State& state) {
  Registry registry(1);
  auto route = registry.shard(0).http().open_route(http_target());
  const auto target = http_target();
  for (auto _ : state) benchmark::DoNotOptimize(route.matches(target));
}
BENCHMARK(BM_HttpRouteMatches);

// open_route on a series the shard has (a map lookup under an uncontended mutex, no allocation),
// and dropping the handle; with `range(0)` routes in the shard.
void BM_HttpOpenRoute(benchmark::State& state) {
  Registry registry(1);
  std::vector<std::string> authorities;
  for (int i = 0; i < state.range(0); ++i) authorities.push_back(fmt::format("svc-{}:80", i));
  for (const auto& a : authorities) registry.shard(0).http().open_route(http_target(a));
  const auto target = http_target(authorities[authorities.size() / 2]);
  for (auto _ : state) {
    auto route = registry.shard(0).http().open_route(target);
    benchmark::DoNotOptimize(route);
  }
}
BENCHMARK(BM_HttpOpenRoute)->Arg(1)->Arg(1024);

// A scrape of `range(0)` HTTP routes in each of two shards, each with one status.
void BM_RenderHttp(benchmark::State& state) {
  Registry registry(2);
  std::vector<weft::metrics::HttpRoute> routes;
  for (int i = 0; i < state.range(0); ++i) {
    const std::string authority = fmt::format("svc-{}:80", i);
    for (std::size_t s = 0; s < 2; ++s) {
      routes.push_back(registry.shard(s).http().open_route(http_target(authority)));
      routes.back().count_request();
      routes.back().observe_latency(200, std::chrono::milliseconds(3));
      routes.back().count_response({200, -1, Classification::success, ""});
    }
  }
  for (auto _ : state) {
    std::string out;
    registry.render_http(out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RenderHttp)->Arg(10)->Arg(1000);

}  // namespace
