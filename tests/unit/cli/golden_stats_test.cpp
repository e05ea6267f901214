// The golden metrics of `weft stat` from crafted scrapes: success rate, rate, latency quantiles
// (checked against Prometheus' histogram_quantile by hand-worked values), TCP_CONN and TLS.
#include "cli/golden_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace weft::cli {
namespace {

using metrics::Direction;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<metrics::Sample> parse(std::string_view text) {
  metrics::ParseError error;
  auto samples = metrics::parse_text(text, &error);
  EXPECT_TRUE(samples.has_value()) << "line " << error.line << ": " << error.reason;
  return samples ? *samples : std::vector<metrics::Sample>{};
}

// Label sets as the proxy writes them (Linkerd's order).
const std::string kIn =
    R"(direction="inbound",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",target_port="8080",tls="no_identity",no_tls_reason="no_tls_from_remote")";
const std::string kOutVoting =
    R"(direction="outbound",authority="voting:8080",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",target_port="8080",tls="no_identity",no_tls_reason="not_provided_by_service_discovery")";

std::string responses(const std::string& labels, const std::string& status, int grpc_status,
                      const std::string& classification, double value) {
  return "response_total{" + labels + ",status_code=\"" + status + "\",classification=\"" +
         classification + "\",grpc_status=\"" +
         (grpc_status < 0 ? std::string() : std::to_string(grpc_status)) + "\",error=\"\"} " +
         std::to_string(value) + "\n";
}

/// response_latency_ms buckets for one label set: `counts` are cumulative for le = 1, 2, 3, 4,
/// 5 and then +Inf (the other Linkerd bounds are left out; a scrape may carry any subset).
std::string latency(const std::string& labels, const std::string& status,
                    const std::vector<double>& counts) {
  static const char* kLe[] = {"1", "2", "3", "4", "5", "+Inf"};
  std::string text = "# TYPE response_latency_ms histogram\n";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    text += "response_latency_ms_bucket{" + labels + ",status_code=\"" + status + "\",le=\"" +
            kLe[i] + "\"} " + std::to_string(counts[i]) + "\n";
  }
  text += "response_latency_ms_count{" + labels + ",status_code=\"" + status + "\"} " +
          std::to_string(counts.back()) + "\n";
  return text;
}

TEST(GoldenStats, SuccessRateAndRateFromInboundResponsesOverTheWindow) {
  const auto before = parse("# TYPE response_total counter\n" +
                            responses(kIn, "200", 0, "success", 10) +
                            responses(kIn, "200", 13, "failure", 2) +
                            responses(kOutVoting, "200", 0, "success", 500));
  const auto after = parse("# TYPE response_total counter\n" +
                           responses(kIn, "200", 0, "success", 20) +
                           responses(kIn, "200", 13, "failure", 4) +
                           responses(kOutVoting, "200", 0, "success", 900));
  const auto windows = golden_windows(before, after, 2.0, Direction::inbound);
  ASSERT_EQ(windows.size(), 1u);
  const auto& w = windows.at("");
  EXPECT_EQ(w.success, 10);
  EXPECT_EQ(w.failure, 2);
  EXPECT_DOUBLE_EQ(w.requests_per_second, 6.0);
  const auto cells = golden_cells(w);
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[0], "83.33%");
  EXPECT_EQ(cells[1], "6.0rps");
}

TEST(GoldenStats, HttpFailuresAreWhatTheProxyClassified) {
  // A 500 and a 503 are failures, a 404 is a success: the table trusts `classification`.
  const auto after = parse(responses(kIn, "404", -1, "success", 3) +
                           responses(kIn, "500", -1, "failure", 1) +
                           responses(kIn, "503", -1, "failure", 1));
  const auto w = golden_windows({}, after, 0, Direction::inbound).at("");
  EXPECT_EQ(w.success, 3);
  EXPECT_EQ(w.failure, 2);
  EXPECT_EQ(golden_cells(w)[0], "60.00%");
}

TEST(GoldenStats, SeriesMatchWhateverTheLabelOrder) {
  const auto before = parse(
      R"(response_total{direction="inbound",status_code="200",classification="success",grpc_status="",error=""} 7)");
  const auto after = parse(
      R"(response_total{error="",classification="success",grpc_status="",status_code="200",direction="inbound"} 9)");
  EXPECT_EQ(golden_windows(before, after, 1, Direction::inbound).at("").success, 2);
}

TEST(GoldenStats, IncreaseHandlesResetsNewAndExpiredSeries) {
  const auto before = parse(
      "a_total{k=\"reset\"} 100\n"
      "a_total{k=\"steady\"} 5\n"
      "a_total{k=\"expired\"} 40\n");
  const auto after = parse(
      "a_total{k=\"reset\"} 3\n"
      "a_total{k=\"steady\"} 8\n"
      "a_total{k=\"new\"} 6\n");
  const auto inc = increase(before, after);
  ASSERT_EQ(inc.size(), 3u);
  EXPECT_EQ(inc[0].value, 3);  // went down: the proxy restarted, count from zero
  EXPECT_EQ(inc[1].value, 3);
  EXPECT_EQ(inc[2].value, 6);  // appeared within the window: all of it is new
}

TEST(GoldenStats, NoResponsesShowDashesButStillCountConnections) {
  const auto after = parse(
      R"(tcp_open_connections{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 2
tcp_open_connections{direction="inbound",peer="dst",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="loopback"} 2
tcp_open_connections{direction="outbound",peer="src",target_addr="10.77.0.4:8080",tls="no_identity",no_tls_reason="loopback"} 5
)");
  const auto windows = golden_windows(after, after, 5, Direction::inbound);
  ASSERT_EQ(windows.size(), 1u);
  const auto cells = golden_cells(windows.at(""));
  EXPECT_EQ(cells, (std::vector<std::string>{"-", "-", "-", "-", "-", "2"}));
}

TEST(GoldenStats, AnEmptyScrapeStillHasItsInboundRow) {
  const auto windows = golden_windows({}, {}, 5, Direction::inbound);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(golden_cells(windows.at("")),
            (std::vector<std::string>{"-", "-", "-", "-", "-", "0"}));
}

TEST(GoldenStats, OneScrapeGivesTotalsWithoutARate) {
  const auto after = parse(responses(kIn, "200", -1, "success", 4));
  const auto w = golden_windows({}, after, 0, Direction::inbound).at("");
  EXPECT_LT(w.requests_per_second, 0);
  const auto cells = golden_cells(w);
  EXPECT_EQ(cells[0], "100.00%");
  EXPECT_EQ(cells[1], "-");
}

TEST(HistogramQuantile, InterpolatesLinearlyInsideTheBucket) {
  // 50 observations in (1, 2], 50 in (2, 3]. Prometheus: rank = q * 100.
  const LatencyBuckets b{{1, 0}, {2, 50}, {3, 100}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, b), 2.0);   // rank 50 fills (1, 2] exactly
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.95, b), 2.9);  // 45 of 50 into (2, 3]
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, b), 2.98);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.25, b), 1.5);
}

TEST(HistogramQuantile, TheFirstBucketStartsAtZero) {
  const LatencyBuckets b{{1, 10}, {2, 10}, {kInf, 10}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, b), 0.5);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, b), 0.99);
}

TEST(HistogramQuantile, ObservationsAboveTheLastBoundGiveTheLastFiniteBound) {
  const LatencyBuckets b{{1, 1}, {50000, 1}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, b), 50000);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.01, b), 1);
}

TEST(HistogramQuantile, NothingToSayWithoutObservationsOrWithoutInf) {
  EXPECT_FALSE(histogram_quantile(0.5, LatencyBuckets{}));
  EXPECT_FALSE(histogram_quantile(0.5, LatencyBuckets{{1, 0}, {kInf, 0}}));
  EXPECT_FALSE(histogram_quantile(0.5, LatencyBuckets{{1, 5}, {2, 9}}));
}

TEST(HistogramQuantile, NonMonotonicCountsAreSmoothedAsPrometheusDoes) {
  // A scrape taken while a bucket was being bumped: (2] reads 4 although (1] reads 5.
  const LatencyBuckets b{{1, 5}, {2, 4}, {3, 10}, {kInf, 10}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, b), 1.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.75, b), 2.5);
}

TEST(GoldenStats, LatencyIsTheQuantileOfTheWindowsBucketIncrease) {
  // Before the window: 100 fast requests (all under 1 ms) on the 200 series. In the window: 10
  // more, 4 of them 500s between 3 and 4 ms, and 6 200s between 1 and 2 ms. The quantiles must
  // come from those 10 only, summed over status codes; outbound buckets must not count.
  const auto before = parse(latency(kIn, "200", {100, 100, 100, 100, 100, 100}) +
                            latency(kOutVoting, "200", {0, 0, 0, 0, 0, 0}) +
                            responses(kIn, "200", -1, "success", 100));
  const auto after = parse(latency(kIn, "200", {100, 106, 106, 106, 106, 106}) +
                           latency(kIn, "500", {0, 0, 0, 4, 4, 4}) +
                           latency(kOutVoting, "200", {0, 0, 0, 0, 0, 50}) +
                           responses(kIn, "200", -1, "success", 106) +
                           responses(kIn, "500", -1, "failure", 4));
  const auto w = golden_windows(before, after, 5, Direction::inbound).at("");
  EXPECT_EQ(w.latency.at(1), 0);
  EXPECT_EQ(w.latency.at(2), 6);
  EXPECT_EQ(w.latency.at(4), 10);
  EXPECT_EQ(w.latency.at(kInf), 10);
  // p50: rank 5 of 6 in (1, 2] -> 1.8333; p95: rank 9.5, 3.5 of 4 in (3, 4] -> 3.875;
  // p99: rank 9.9 -> 3.975.
  EXPECT_NEAR(*histogram_quantile(0.5, w.latency), 1.8333, 1e-3);
  EXPECT_NEAR(*histogram_quantile(0.95, w.latency), 3.875, 1e-9);
  EXPECT_NEAR(*histogram_quantile(0.99, w.latency), 3.975, 1e-9);
  const auto cells = golden_cells(w);
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[0], "60.00%");
  EXPECT_EQ(cells[1], "2.0rps");
  EXPECT_EQ(cells[2], "1.8ms");
  EXPECT_EQ(cells[3], "3.9ms");
  EXPECT_EQ(cells[5], "0");
}

TEST(GoldenStats, OutboundRowsPerAuthorityWithTheirConnections) {
  const std::string out_web =
      R"(direction="outbound",authority="10.77.0.3:8080",target_addr="10.77.0.3:8080",target_ip="10.77.0.3",target_port="8080",tls="no_identity",no_tls_reason="not_provided_by_service_discovery")";
  const auto after = parse(
      responses(kOutVoting, "200", 0, "success", 9) + responses(kOutVoting, "200", 2, "failure", 1) +
      responses(out_web, "200", -1, "success", 4) + responses(kIn, "200", -1, "success", 77) +
      R"(tcp_open_connections{direction="outbound",peer="dst",target_addr="10.77.0.4:8080",tls="no_identity",no_tls_reason="not_provided_by_service_discovery"} 1
tcp_open_connections{direction="outbound",peer="src",target_addr="10.77.0.4:8080",tls="no_identity",no_tls_reason="loopback"} 3
tcp_open_connections{direction="outbound",peer="dst",target_addr="10.77.0.9:5432",tls="no_identity",no_tls_reason="not_provided_by_service_discovery"} 2
tcp_open_connections{direction="inbound",peer="src",target_addr="10.77.0.2:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 6
)");
  const auto windows = golden_windows({}, after, 0, Direction::outbound);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows.at("voting:8080").success, 9);
  EXPECT_EQ(windows.at("voting:8080").failure, 1);
  EXPECT_EQ(windows.at("voting:8080").tcp_open, 1);  // peer="dst": connections to the endpoint
  EXPECT_EQ(windows.at("10.77.0.3:8080").success, 4);
  EXPECT_EQ(windows.at("10.77.0.3:8080").tcp_open, 0);
  // An opaque TCP target (no HTTP series) has its own row, with connections and no requests.
  EXPECT_EQ(golden_cells(windows.at("10.77.0.9:5432")),
            (std::vector<std::string>{"-", "-", "-", "-", "-", "2"}));
}

TEST(GoldenStats, WindowsOfSeveralProxiesAddUp) {
  GoldenWindow a;
  a.success = 9;
  a.failure = 1;
  a.requests_per_second = 2;
  a.latency = {{1, 5}, {kInf, 10}};
  a.tcp_open = 1;
  GoldenWindow b = a;
  b.requests_per_second = 3;
  b.latency = {{1, 5}, {2, 10}, {kInf, 10}};
  a += b;
  EXPECT_EQ(a.success, 18);
  EXPECT_EQ(a.failure, 2);
  EXPECT_EQ(a.requests_per_second, 5);
  EXPECT_EQ(a.latency, (LatencyBuckets{{1, 10}, {2, 10}, {kInf, 20}}));
  EXPECT_EQ(a.tcp_open, 2);
  GoldenWindow meshed;
  meshed.success = 4;
  meshed.tls_responses = 4;
  meshed.tcp_open = 1;
  meshed.tls_tcp_open = 1;
  meshed.requests_per_second = 1;
  a += meshed;
  EXPECT_EQ(a.tls_responses, 4);
  EXPECT_EQ(a.tls_tcp_open, 1);
  EXPECT_EQ(tls_cell(a), "16%");  // 4 of 24 responses
  GoldenWindow no_rate;
  a += no_rate;  // a one-scrape window has no rate; neither has the sum
  EXPECT_LT(a.requests_per_second, 0);
}

// The same targets over mesh TLS: the client's identity inbound, the server's outbound.
const std::string kInMtls =
    R"(direction="inbound",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",target_port="8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web")";
const std::string kOutVotingMtls =
    R"(direction="outbound",authority="voting:8080",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",target_port="8080",tls="true",server_id="spiffe://cluster.local/ns/emojivoto/sa/voting")";

TEST(GoldenStats, TlsIsTheShareOfResponsesOverMeshTls) {
  const auto before = parse(responses(kInMtls, "200", -1, "success", 100) +
                            responses(kIn, "200", -1, "success", 100));
  // In the window: 6 successes and 1 failure over mTLS, 1 plaintext success (a probe, say).
  const auto after = parse(responses(kInMtls, "200", -1, "success", 106) +
                           responses(kInMtls, "500", -1, "failure", 1) +
                           responses(kIn, "200", -1, "success", 101));
  const auto w = golden_windows(before, after, 1, Direction::inbound).at("");
  EXPECT_EQ(w.tls_responses, 7);
  EXPECT_EQ(w.success + w.failure, 8);
  EXPECT_EQ(tls_cell(w), "87%");  // 87.5 rounds down: not all of it is mTLS
  const auto all_mtls = golden_windows(before, parse(responses(kInMtls, "200", -1, "success", 109)),
                                       1, Direction::inbound);
  EXPECT_EQ(tls_cell(all_mtls.at("")), "100%");
  const auto none = golden_windows(before, parse(responses(kIn, "200", -1, "success", 109)), 1,
                                   Direction::inbound);
  EXPECT_EQ(tls_cell(none.at("")), "0%");
}

TEST(GoldenStats, OutboundTlsIsPerAuthority) {
  const std::string web_plain =
      R"(direction="outbound",authority="web:80",target_addr="10.77.0.3:8080",target_ip="10.77.0.3",target_port="8080",tls="no_identity",no_tls_reason="not_provided_by_service_discovery")";
  const auto after = parse(responses(kOutVotingMtls, "200", 0, "success", 4) +
                           responses(web_plain, "200", -1, "success", 2) +
                           responses(kInMtls, "200", -1, "success", 50));
  const auto windows = golden_windows({}, after, 0, Direction::outbound);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(tls_cell(windows.at("voting:8080")), "100%");
  EXPECT_EQ(tls_cell(windows.at("web:80")), "0%");
}

TEST(GoldenStats, TlsFallsBackToOpenConnectionsWithoutResponses) {
  const auto after = parse(
      R"(tcp_open_connections{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web"} 3
tcp_open_connections{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 1
tcp_open_connections{direction="inbound",peer="dst",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="loopback"} 4
tcp_open_connections{direction="outbound",peer="dst",target_addr="10.77.0.9:5432",tls="true",server_id="spiffe://cluster.local/ns/data/sa/db"} 2
tcp_open_connections{direction="outbound",peer="src",target_addr="10.77.0.9:5432",tls="no_identity",no_tls_reason="loopback"} 2
)");
  const auto in = golden_windows({}, after, 0, Direction::inbound).at("");
  EXPECT_EQ(in.tcp_open, 4);  // peer="src" only: the proxy-to-app side is always loopback
  EXPECT_EQ(in.tls_tcp_open, 3);
  EXPECT_EQ(tls_cell(in), "75%");
  // An opaque TCP destination's row: its connections are mTLS.
  const auto out = golden_windows({}, after, 0, Direction::outbound);
  EXPECT_EQ(tls_cell(out.at("10.77.0.9:5432")), "100%");
  // Nothing at all: nothing to say.
  EXPECT_EQ(tls_cell(golden_windows({}, {}, 5, Direction::inbound).at("")), "-");
}

TEST(GoldenStats, TlsShareIsRoundedDownBelowAll) {
  EXPECT_EQ(format_tls_share(1), "100%");
  EXPECT_EQ(format_tls_share(199.0 / 200), "99%");
  EXPECT_EQ(format_tls_share(0.5), "50%");
  EXPECT_EQ(format_tls_share(0.001), "0%");
  EXPECT_EQ(format_tls_share(0), "0%");
}

TEST(GoldenStats, CellsAreFormattedAsVizPrintsThem) {
  EXPECT_EQ(format_success(1), "100.00%");
  EXPECT_EQ(format_success(2.0 / 3), "66.67%");
  EXPECT_EQ(format_rps(9.96), "10.0rps");
  EXPECT_EQ(format_latency_ms(0.5), "0.5ms");
  EXPECT_EQ(format_latency_ms(9.96), "10ms");
  EXPECT_EQ(format_latency_ms(42.4), "42ms");
  EXPECT_EQ(format_latency_ms(50000), "50000ms");
}

}  // namespace
}  // namespace weft::cli
