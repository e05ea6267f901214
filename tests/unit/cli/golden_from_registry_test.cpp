// weft stat's computation over what the proxy's own registry renders (not crafted text): the
// labels and families it reads are the ones the metrics module writes, summed over shards.
#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "cli/golden_stats.hpp"
#include "cli/stat_tcp.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::cli {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using metrics::Classification;
using metrics::Direction;

std::vector<metrics::Sample> scrape(const metrics::Registry& r) {
  metrics::ParseError error;
  auto samples = metrics::parse_text(r.render(), &error);
  EXPECT_TRUE(samples.has_value()) << "line " << error.line << ": " << error.reason;
  return samples ? *samples : std::vector<metrics::Sample>{};
}

TEST(GoldenFromRegistry, InboundAndOutboundRowsOverTwoRenders) {
  metrics::Registry r(2);
  const tcp::endpoint voting(make_address("10.77.0.4"), 8080);
  const metrics::HttpTarget inbound{Direction::inbound, "", voting,
                                    metrics::TlsRef::no_identity("no_tls_from_remote")};
  const metrics::HttpTarget outbound{
      Direction::outbound, "voting:8080", voting,
      metrics::TlsRef::no_identity("not_provided_by_service_discovery")};
  auto in0 = r.shard(0).http().open_route(inbound);
  auto in1 = r.shard(1).http().open_route(inbound);
  auto out0 = r.shard(0).http().open_route(outbound);
  // Before the window: traffic that must not count.
  for (int i = 0; i < 50; ++i) {
    in0.count_request();
    in0.observe_latency(200, 100us);
    in0.count_response({200, 0, Classification::success, ""});
  }
  const auto before = scrape(r);

  // In the window: 8 successes between 1 and 2 ms and 2 UNKNOWNs between 3 and 4 ms, across
  // both shards; 4 outbound calls; one client connection open.
  for (int i = 0; i < 8; ++i) {
    auto& route = i % 2 ? in1 : in0;
    route.count_request();
    route.observe_latency(200, 1500us);
    route.count_response({200, 0, Classification::success, ""});
  }
  for (int i = 0; i < 2; ++i) {
    in1.count_request();
    in1.observe_latency(200, 3500us);
    in1.count_response({200, 2, Classification::failure, ""});
  }
  for (int i = 0; i < 4; ++i) {
    out0.count_request();
    out0.observe_latency(200, 2500us);
    out0.count_response({200, 0, Classification::success, ""});
  }
  auto conn = r.shard(0).open_tcp({Direction::inbound, metrics::Peer::src, voting,
                                   metrics::TlsRef::no_identity("no_tls_from_remote")});
  const auto after = scrape(r);

  const auto in = golden_windows(before, after, 2.0, Direction::inbound);
  ASSERT_EQ(in.size(), 1u);
  const auto& w = in.at("");
  EXPECT_EQ(w.success, 8);
  EXPECT_EQ(w.failure, 2);
  EXPECT_DOUBLE_EQ(w.requests_per_second, 5.0);
  EXPECT_EQ(w.tcp_open, 1);
  // p50: rank 5 of the 8 in (1, 2] -> 1.625; p95: rank 9.5, 1.5 of the 2 in (3, 4] -> 3.75.
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, w.latency), 1.625);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.95, w.latency), 3.75);
  EXPECT_NEAR(*histogram_quantile(0.99, w.latency), 3.95, 1e-9);
  const auto cells = golden_cells(w);
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[0], "80.00%");
  EXPECT_EQ(cells[1], "5.0rps");
  EXPECT_EQ(cells[2], "1.6ms");
  EXPECT_EQ(cells[5], "1");

  const auto out = golden_windows(before, after, 2.0, Direction::outbound);
  ASSERT_EQ(out.count("voting:8080"), 1u);
  EXPECT_EQ(out.at("voting:8080").success, 4);
  EXPECT_DOUBLE_EQ(out.at("voting:8080").requests_per_second, 2.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, out.at("voting:8080").latency), 2.5);
}

// The TLS column and the per-peer identities over what the registry renders for mTLS traffic.
TEST(GoldenFromRegistry, TlsShareAndIdentities) {
  metrics::Registry r(2);
  const tcp::endpoint voting(make_address("10.77.0.4"), 8080);
  constexpr std::string_view web = "spiffe://cluster.local/ns/emojivoto/sa/web";
  constexpr std::string_view voting_id = "spiffe://cluster.local/ns/emojivoto/sa/voting";
  auto meshed = r.shard(0).http().open_route(
      {Direction::inbound, "", voting, metrics::TlsRef::established(web)});
  auto plain = r.shard(1).http().open_route(
      {Direction::inbound, "", voting, metrics::TlsRef::no_identity("no_tls_from_remote")});
  auto out = r.shard(1).http().open_route(
      {Direction::outbound, "voting:8080", voting, metrics::TlsRef::established(voting_id)});
  for (int i = 0; i < 3; ++i) meshed.count_response({200, -1, Classification::success, ""});
  plain.count_response({200, -1, Classification::success, ""});
  out.count_response({200, 0, Classification::success, ""});
  auto from_web = r.shard(0).open_tcp(
      {Direction::inbound, metrics::Peer::src, voting, metrics::TlsRef::established(web)});
  auto to_voting = r.shard(1).open_tcp(
      {Direction::outbound, metrics::Peer::dst, voting, metrics::TlsRef::established(voting_id)});
  const auto samples = scrape(r);

  EXPECT_EQ(tls_cell(golden_windows({}, samples, 0, Direction::inbound).at("")), "75%");
  EXPECT_EQ(tls_cell(golden_windows({}, samples, 0, Direction::outbound).at("voting:8080")),
            "100%");
  const auto tcp = collect_tcp(samples);
  EXPECT_EQ(tcp.at({"inbound", "10.77.0.4:8080", "src", "true", std::string(web)}).open, 1);
  EXPECT_EQ(tcp.at({"outbound", "10.77.0.4:8080", "dst", "true", std::string(voting_id)}).open, 1);
}

}  // namespace
}  // namespace weft::cli
