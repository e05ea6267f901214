// Micro benchmarks of destination-table lookups, which run once per outbound connection (by
// original destination) and once per request (by authority), in a table of 1,000 services.
#include <benchmark/benchmark.h>
#include <spdlog/fmt/fmt.h>

#include <string>
#include <vector>

#include "weft/discovery/source.hpp"
#include "weft/discovery/table.hpp"

namespace {

namespace ip = boost::asio::ip;
using weft::discovery::DestinationStore;
using weft::discovery::DestinationTable;
using weft::discovery::DestinationView;
using weft::discovery::Service;

constexpr int kServices = 1000;

ip::tcp::endpoint vip(int i) {
  return {ip::make_address_v4(ip::address_v4::uint_type{0x0a600000u + static_cast<unsigned>(i)}),
          80};
}

const DestinationTable& table() {
  static const DestinationTable t = [] {
    std::vector<Service> services;
    for (int i = 0; i < kServices; ++i) {
      Service s;
      s.name = fmt::format("svc-{}.ns-{}.svc.cluster.local", i, i % 20);
      s.addresses = {vip(i),
                     ip::tcp::endpoint(ip::make_address(fmt::format("fd00::{:x}", i + 1)), 80)};
      services.push_back(std::move(s));
    }
    return DestinationTable(std::move(services));
  }();
  return t;
}

void BM_ByAddressV4(benchmark::State& state) {
  const auto& t = table();
  const auto hit = vip(617);
  for (auto _ : state) benchmark::DoNotOptimize(t.by_address(hit));
}
BENCHMARK(BM_ByAddressV4);

void BM_ByAddressV6(benchmark::State& state) {
  const auto& t = table();
  const ip::tcp::endpoint hit(ip::make_address("fd00::26a"), 80);
  for (auto _ : state) benchmark::DoNotOptimize(t.by_address(hit));
}
BENCHMARK(BM_ByAddressV6);

// An address with no entry: the common case for traffic to pods and to the outside.
void BM_ByAddressMiss(benchmark::State& state) {
  const auto& t = table();
  const ip::tcp::endpoint miss(ip::make_address("192.168.1.1"), 443);
  for (auto _ : state) benchmark::DoNotOptimize(t.by_address(miss));
}
BENCHMARK(BM_ByAddressMiss);

void BM_ByAuthorityFullNameWithPort(benchmark::State& state) {
  const auto& t = table();
  const std::string authority = "svc-617.ns-17.svc.cluster.local:80";
  for (auto _ : state) benchmark::DoNotOptimize(t.by_authority(authority));
}
BENCHMARK(BM_ByAuthorityFullNameWithPort);

void BM_ByAuthorityShortName(benchmark::State& state) {
  const auto& t = table();
  const std::string authority = "SVC-617.ns-17";
  for (auto _ : state) benchmark::DoNotOptimize(t.by_authority(authority));
}
BENCHMARK(BM_ByAuthorityShortName);

void BM_ByAuthorityMiss(benchmark::State& state) {
  const auto& t = table();
  const std::string authority = "api.example.com:443";
  for (auto _ : state) benchmark::DoNotOptimize(t.by_authority(authority));
}
BENCHMARK(BM_ByAuthorityMiss);

// What a worker pays per lookup to learn that the table has not changed.
void BM_ViewCurrent(benchmark::State& state) {
  DestinationStore store;
  DestinationView view(store);
  for (auto _ : state) benchmark::DoNotOptimize(view.current().get());
}
BENCHMARK(BM_ViewCurrent);

}  // namespace
