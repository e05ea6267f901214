// Micro benchmarks of the metrics hot paths: counting bytes on an open connection, opening and
// closing a connection on an existing series, and rendering a registry for a scrape.
#include <benchmark/benchmark.h>

#include <boost/asio/error.hpp>

#include "weft/metrics/tcp.hpp"

namespace {

using weft::metrics::Direction;
using weft::metrics::Peer;
using weft::metrics::Registry;
using weft::metrics::TcpTarget;
namespace asio = boost::asio;

TcpTarget target(unsigned short port = 8080) {
  return TcpTarget{Direction::inbound, Peer::src,
                   asio::ip::tcp::endpoint(asio::ip::make_address("10.0.0.1"), port),
                   "no_tls_from_remote"};
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

}  // namespace
