// `weft stat tcp`: the tcp_* series of a scrape summed into rows by direction, peer, target, TLS
// and peer identity, and the rows' cells.
#include "cli/stat_tcp.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace weft::cli {
namespace {

std::vector<metrics::Sample> parse(std::string_view text) {
  metrics::ParseError error;
  auto samples = metrics::parse_text(text, &error);
  EXPECT_TRUE(samples.has_value()) << "line " << error.line << ": " << error.reason;
  return samples ? *samples : std::vector<metrics::Sample>{};
}

constexpr std::string_view kWeb = "spiffe://cluster.local/ns/emojivoto/sa/web";
constexpr std::string_view kVote = "spiffe://cluster.local/ns/emojivoto/sa/vote-bot";
constexpr std::string_view kVoting = "spiffe://cluster.local/ns/emojivoto/sa/voting";

// What a meshed proxy serving web's and vote-bot's calls, and calling voting, renders.
constexpr std::string_view kScrape =
    R"(tcp_open_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web"} 5
tcp_open_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/vote-bot"} 2
tcp_open_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 1
tcp_open_total{direction="inbound",peer="dst",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="loopback"} 8
tcp_open_total{direction="outbound",peer="dst",target_addr="10.77.0.4:8080",tls="true",server_id="spiffe://cluster.local/ns/emojivoto/sa/voting"} 3
tcp_open_total{direction="inbound",peer="src",target_addr="10.77.0.3:443",tls="opaque",sni="app.example.com"} 1
tcp_open_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id=""} 1
tcp_close_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web",errno=""} 3
tcp_close_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web",errno="ECONNRESET"} 1
tcp_open_connections{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web"} 1
tcp_read_bytes_total{direction="inbound",peer="src",target_addr="10.77.0.3:8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web"} 4096
tcp_read_bytes_total{direction="outbound",peer="dst",target_addr="10.77.0.4:8080",tls="true",server_id="spiffe://cluster.local/ns/emojivoto/sa/voting"} 2048
)";

TEST(StatTcp, RowsSplitByTlsAndPeerIdentity) {
  const auto stats = collect_tcp(parse(kScrape));
  ASSERT_EQ(stats.size(), 7u);
  const TcpKey web{"inbound", "10.77.0.3:8080", "src", "true", std::string(kWeb)};
  ASSERT_EQ(stats.count(web), 1u);
  EXPECT_EQ(stats.at(web).opened, 5);
  EXPECT_EQ(stats.at(web).closed, 4);
  EXPECT_EQ(stats.at(web).errors, 1);
  EXPECT_EQ(stats.at(web).open, 1);
  EXPECT_EQ(stats.at(web).read_bytes, 4096);
  EXPECT_EQ(stats.at({"inbound", "10.77.0.3:8080", "src", "true", std::string(kVote)}).opened, 2);
  EXPECT_EQ(stats.at({"inbound", "10.77.0.3:8080", "src", "no_identity", ""}).opened, 1);
  EXPECT_EQ(stats.at({"inbound", "10.77.0.3:8080", "src", "true", ""}).opened, 1);  // no cert
  EXPECT_EQ(stats.at({"inbound", "10.77.0.3:443", "src", "opaque", ""}).opened, 1);
  const TcpKey voting{"outbound", "10.77.0.4:8080", "dst", "true", std::string(kVoting)};
  EXPECT_EQ(stats.at(voting).opened, 3);
  EXPECT_EQ(stats.at(voting).read_bytes, 2048);
}

TEST(StatTcp, TheTableShowsTlsAndTheIdentity) {
  const auto first = collect_tcp(parse(kScrape));
  auto last = first;
  last[{"outbound", "10.77.0.4:8080", "dst", "true", std::string(kVoting)}].read_bytes += 4096;
  const auto header = tcp_header();
  ASSERT_GE(header.size(), 5u);
  EXPECT_EQ(header[3], "TLS");
  EXPECT_EQ(header[4], "IDENTITY");
  const auto rows = tcp_rows(&first, last, 2.0);
  ASSERT_EQ(rows.size(), 7u);
  for (const auto& row : rows) EXPECT_EQ(row.size(), header.size());
  // Inbound first, by target ("10.77.0.3:443" < "10.77.0.3:8080"), src before dst, then by TLS
  // and identity.
  EXPECT_EQ(rows[0], (TableRow{"inbound", "src", "10.77.0.3:443", "opaque", "-", "1", "0", "0", "0",
                               "0", "0", "0B/s", "0B/s"}));
  EXPECT_EQ(rows[1][3], "no_identity");
  EXPECT_EQ(rows[1][4], "-");
  EXPECT_EQ(rows[2][3], "true");
  EXPECT_EQ(rows[2][4], "-");  // a TLS client without a certificate
  EXPECT_EQ(rows[3][4], kVote);
  EXPECT_EQ(rows[4][4], kWeb);
  EXPECT_EQ(rows[4][6], "1");  // open now
  EXPECT_EQ(rows[5][1], "dst");
  EXPECT_EQ(rows[5][3], "no_identity");
  EXPECT_EQ(rows[6], (TableRow{"outbound", "dst", "10.77.0.4:8080", "true", std::string(kVoting),
                               "3", "0", "0", "0", "6144", "0", "2.0KiB/s", "0B/s"}));
  // One scrape: no rates.
  EXPECT_EQ(tcp_rows(nullptr, first, 0)[6][11], "-");
}

TEST(StatTcp, SeriesWithoutTlsLabelsStillHaveRows) {
  const auto stats = collect_tcp(parse(
      R"(tcp_open_total{direction="inbound",peer="src",target_addr="10.0.0.1:80"} 2
)"));
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats.begin()->first.tls, "-");
  EXPECT_EQ(stats.begin()->first.identity, "");
}

TEST(StatTcp, HelpExplainsTheTlsColumns) {
  std::ostringstream out, err;
  const std::vector<std::string_view> args{"--help"};
  EXPECT_EQ(run_stat_tcp(args, out, err), 0);
  EXPECT_NE(out.str().find("IDENTITY"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("client_id"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace weft::cli
