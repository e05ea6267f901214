// The TLS labels (Linkerd's) on tcp_* and HTTP series, for each status on each side: exact text,
// series keyed by status and value, the label a connection's handle carries, and promtool.
#include <gtest/gtest.h>

#include <string>

#include "weft/metrics/http.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

namespace asio = boost::asio;
using asio::ip::make_address;
using asio::ip::tcp;

constexpr std::string_view kWebId = "spiffe://cluster.local/ns/emojivoto/sa/web";
constexpr std::string_view kVotingId = "spiffe://cluster.local/ns/emojivoto/sa/voting";
const tcp::endpoint kApp(make_address("10.77.0.4"), 8080);

std::string render_tcp(const Registry& r) {
  std::string out;
  r.render_tcp(out);
  return out;
}

std::string render_http(const Registry& r) {
  std::string out;
  r.render_http(out);
  return out;
}

// Whether `text` has `line` as a whole line.
::testing::AssertionResult has_line(const std::string& text, const std::string& line) {
  if (text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line\n  " << line << "\nin\n" << text;
}

// direction, peer and target labels of a tcp series to kApp.
std::string tcp_labels(std::string_view direction, std::string_view peer) {
  return "direction=\"" + std::string(direction) + "\",peer=\"" + std::string(peer) +
         R"(",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",target_port="8080",)";
}

TEST(TlsLabels, ValuesAndLabelNamesAreLinkerds) {
  EXPECT_EQ(to_string(TlsStatus::no_identity), "no_identity");
  EXPECT_EQ(to_string(TlsStatus::established), "true");
  EXPECT_EQ(to_string(TlsStatus::opaque), "opaque");
  EXPECT_EQ(tls_value_label(TlsStatus::no_identity, TlsSide::client), "no_tls_reason");
  EXPECT_EQ(tls_value_label(TlsStatus::no_identity, TlsSide::endpoint), "no_tls_reason");
  EXPECT_EQ(tls_value_label(TlsStatus::established, TlsSide::client), "client_id");
  EXPECT_EQ(tls_value_label(TlsStatus::established, TlsSide::endpoint), "server_id");
  EXPECT_EQ(tls_value_label(TlsStatus::opaque, TlsSide::client), "sni");
  EXPECT_EQ(tls_value_label(TlsStatus::opaque, TlsSide::endpoint), "sni");
  // tcp series by peer, HTTP series by direction.
  EXPECT_EQ(tls_side(Peer::src), TlsSide::client);
  EXPECT_EQ(tls_side(Peer::dst), TlsSide::endpoint);
  EXPECT_EQ(tls_side(Direction::inbound), TlsSide::client);
  EXPECT_EQ(tls_side(Direction::outbound), TlsSide::endpoint);
}

TEST(TlsLabels, TheOwningFormRoundTrips) {
  const auto owned = TlsLabels::from(TlsRef::established(kWebId));
  EXPECT_EQ(owned.status, TlsStatus::established);
  EXPECT_EQ(owned.value, kWebId);
  EXPECT_EQ(owned.ref(), TlsRef::established(kWebId));
  EXPECT_NE(owned.ref(), TlsRef::opaque(kWebId));
  EXPECT_NE(owned.ref(), TlsRef::established(kVotingId));
}

TEST(TlsLabels, KeysOrderByStatusThenValueAndFindFromAView) {
  const TcpKeyLess less;
  const auto key = [](TlsRef tls) {
    return TcpKey::from(TcpKeyRef{Direction::inbound, Peer::src, kApp, tls});
  };
  const TcpKey plain = key(TlsRef::no_identity("no_tls_from_remote"));
  const TcpKey web = key(TlsRef::established(kWebId));
  const TcpKey voting = key(TlsRef::established(kVotingId));
  const TcpKey opaque = key(TlsRef::opaque("db.example.com"));
  EXPECT_TRUE(less(plain, voting));
  EXPECT_TRUE(less(voting, web));  // ".../voting" < ".../web"
  EXPECT_TRUE(less(web, opaque));
  // A reason and an identity that read the same are still different series.
  EXPECT_TRUE(less(key(TlsRef::no_identity("x")), key(TlsRef::established("x"))));
  const TcpKeyRef view{Direction::inbound, Peer::src, kApp, TlsRef::established(kWebId)};
  EXPECT_FALSE(less(view, web));
  EXPECT_FALSE(less(web, view));
  EXPECT_TRUE(less(view, opaque));
}

TEST(TlsLabels, TcpSeriesOfEveryStatusOnBothSides) {
  Registry r(1);
  auto from_web =
      r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::established(kWebId)});
  auto no_cert =
      r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::established("")});
  auto opaque =
      r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::opaque("db.example.com")});
  auto plain = r.shard(0).open_tcp(
      {Direction::inbound, Peer::src, kApp, TlsRef::no_identity("no_tls_from_remote")});
  auto to_app =
      r.shard(0).open_tcp({Direction::inbound, Peer::dst, kApp, TlsRef::no_identity("loopback")});
  auto to_voting =
      r.shard(0).open_tcp({Direction::outbound, Peer::dst, kApp, TlsRef::established(kVotingId)});
  auto opaque_out = r.shard(0).open_tcp(
      {Direction::outbound, Peer::dst, kApp, TlsRef::opaque("api.example.com")});
  auto from_app =
      r.shard(0).open_tcp({Direction::outbound, Peer::src, kApp, TlsRef::no_identity("loopback")});
  const std::string out = render_tcp(r);
  const std::string in_src = "tcp_open_connections{" + tcp_labels("inbound", "src");
  const std::string out_dst = "tcp_open_connections{" + tcp_labels("outbound", "dst");
  // The accepted side names the client; a client without a certificate has client_id="".
  EXPECT_TRUE(has_line(out, in_src + R"(tls="true",client_id="spiffe://cluster.local/ns/)"
                                     R"(emojivoto/sa/web"} 1)"));
  EXPECT_TRUE(has_line(out, in_src + R"(tls="true",client_id=""} 1)"));
  EXPECT_TRUE(has_line(out, in_src + R"(tls="opaque",sni="db.example.com"} 1)"));
  EXPECT_TRUE(has_line(out, in_src + R"(tls="no_identity",no_tls_reason="no_tls_from_remote"} 1)"));
  EXPECT_TRUE(has_line(out, "tcp_open_connections{" + tcp_labels("inbound", "dst") +
                                R"(tls="no_identity",no_tls_reason="loopback"} 1)"));
  // The opened side names the server.
  EXPECT_TRUE(has_line(out, out_dst + R"(tls="true",server_id="spiffe://cluster.local/ns/)"
                                      R"(emojivoto/sa/voting"} 1)"));
  EXPECT_TRUE(has_line(out, out_dst + R"(tls="opaque",sni="api.example.com"} 1)"));
  EXPECT_TRUE(has_line(out, "tcp_open_connections{" + tcp_labels("outbound", "src") +
                                R"(tls="no_identity",no_tls_reason="loopback"} 1)"));
  // Render order follows the key: no_identity, then true (by identity), then opaque.
  EXPECT_LT(out.find(in_src + R"(tls="no_identity")"),
            out.find(in_src + R"(tls="true",client_id="")"));
  EXPECT_LT(out.find(in_src + R"(tls="true",client_id="")"),
            out.find(in_src + R"(tls="true",client_id="spiffe)"));
  EXPECT_LT(out.find(in_src + R"(tls="true",client_id="spiffe)"),
            out.find(in_src + R"(tls="opaque")"));
  // errno comes after the TLS labels.
  from_web.close(asio::error::connection_reset);
  EXPECT_TRUE(has_line(render_tcp(r), "tcp_close_total{" + tcp_labels("inbound", "src") +
                                          R"(tls="true",client_id="spiffe://cluster.local/ns/)"
                                          R"(emojivoto/sa/web",errno="ECONNRESET"} 1)"));
}

TEST(TlsLabels, ExactTcpTextForAnMtlsConnectionPair) {
  Registry r(1);
  {
    auto accepted =
        r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::established(kWebId)});
    accepted.add_read(10);
    auto opened =
        r.shard(0).open_tcp({Direction::outbound, Peer::dst, kApp, TlsRef::established(kVotingId)});
    opened.add_write(20);
  }
  const std::string src =
      R"({direction="inbound",peer="src",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",)"
      R"(target_port="8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web")";
  const std::string dst =
      R"({direction="outbound",peer="dst",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",)"
      R"(target_port="8080",tls="true",server_id="spiffe://cluster.local/ns/emojivoto/sa/voting")";
  const std::string expected =
      "# HELP tcp_open_total Total count of opened connections\n"
      "# TYPE tcp_open_total counter\n"
      "tcp_open_total" +
      src +
      "} 1\n"
      "tcp_open_total" +
      dst +
      "} 1\n"
      "# HELP tcp_close_total Total count of closed connections\n"
      "# TYPE tcp_close_total counter\n"
      "tcp_close_total" +
      src +
      ",errno=\"\"} 1\n"
      "tcp_close_total" +
      dst +
      ",errno=\"\"} 1\n"
      "# HELP tcp_open_connections Number of currently-open connections\n"
      "# TYPE tcp_open_connections gauge\n"
      "tcp_open_connections" +
      src +
      "} 0\n"
      "tcp_open_connections" +
      dst +
      "} 0\n"
      "# HELP tcp_read_bytes_total Total count of bytes read from peers\n"
      "# TYPE tcp_read_bytes_total counter\n"
      "tcp_read_bytes_total" +
      src +
      "} 10\n"
      "tcp_read_bytes_total" +
      dst +
      "} 0\n"
      "# HELP tcp_write_bytes_total Total count of bytes written to peers\n"
      "# TYPE tcp_write_bytes_total counter\n"
      "tcp_write_bytes_total" +
      src +
      "} 0\n"
      "tcp_write_bytes_total" +
      dst + "} 20\n";
  EXPECT_EQ(render_tcp(r), expected);
}

TEST(TlsLabels, AHandleCarriesItsConnectionsLabel) {
  Registry r(1);
  const auto fallback = TlsRef::no_identity("no_tls_from_remote");
  std::string id(kWebId);
  auto conn = r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::established(id)});
  id.assign("overwritten");  // the series keeps its own copy: the caller's string may go
  EXPECT_EQ(conn.tls_or(fallback), TlsRef::established(kWebId));
  EXPECT_EQ(TcpConnMetrics().tls_or(fallback), fallback);
  conn.close({});
  EXPECT_EQ(conn.tls_or(fallback), fallback);
  // A second connection with the same label shares the series, and its label.
  auto a = r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::opaque("db")});
  auto b = r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::opaque("db")});
  EXPECT_EQ(a.tls_or(fallback).value.data(), b.tls_or(fallback).value.data());
}

TEST(TlsLabels, HttpSeriesNameTheClientInboundAndTheServerOutbound) {
  Registry r(1);
  auto& http = r.shard(0).http();
  auto in_mtls = http.open_route({Direction::inbound, "", kApp, TlsRef::established(kWebId)});
  auto in_no_cert = http.open_route({Direction::inbound, "", kApp, TlsRef::established("")});
  auto in_plain =
      http.open_route({Direction::inbound, "", kApp, TlsRef::no_identity("no_tls_from_remote")});
  auto out_mtls =
      http.open_route({Direction::outbound, "voting:8080", kApp, TlsRef::established(kVotingId)});
  auto out_plain = http.open_route({Direction::outbound, "voting:8080", kApp,
                                    TlsRef::no_identity("not_provided_by_service_discovery")});
  for (auto* route : {&in_mtls, &in_no_cert, &in_plain, &out_mtls, &out_plain}) {
    route->count_request();
  }
  const std::string out = render_http(r);
  const std::string in =
      R"(request_total{direction="inbound",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",)"
      R"(target_port="8080",)";
  const std::string to_voting =
      R"(request_total{direction="outbound",authority="voting:8080",)"
      R"(target_addr="10.77.0.4:8080",target_ip="10.77.0.4",target_port="8080",)";
  EXPECT_TRUE(has_line(
      out, in + R"(tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web"} 1)"));
  EXPECT_TRUE(has_line(out, in + R"(tls="true",client_id=""} 1)"));
  EXPECT_TRUE(has_line(out, in + R"(tls="no_identity",no_tls_reason="no_tls_from_remote"} 1)"));
  EXPECT_TRUE(has_line(
      out,
      to_voting + R"(tls="true",server_id="spiffe://cluster.local/ns/emojivoto/sa/voting"} 1)"));
  EXPECT_TRUE(has_line(
      out,
      to_voting + R"(tls="no_identity",no_tls_reason="not_provided_by_service_discovery"} 1)"));
  // response_total and response_latency_ms carry the same labels, before their own.
  in_mtls.count_response({200, -1, Classification::success, ""});
  EXPECT_TRUE(has_line(
      render_http(r),
      R"(response_total{direction="inbound",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",)"
      R"(target_port="8080",tls="true",client_id="spiffe://cluster.local/ns/emojivoto/sa/web",)"
      R"(status_code="200",classification="success",grpc_status="",error=""} 1)"));
}

TEST(TlsLabels, AnOpaqueInboundSeriesCarriesTheSni) {
  Registry r(1);
  auto route = r.shard(0).http().open_route(
      {Direction::inbound, "", kApp, TlsRef::opaque("app.example.com")});
  route.count_request();
  EXPECT_TRUE(has_line(
      render_http(r),
      R"(request_total{direction="inbound",target_addr="10.77.0.4:8080",target_ip="10.77.0.4",)"
      R"(target_port="8080",tls="opaque",sni="app.example.com"} 1)"));
}

TEST(TlsLabels, ARouteHandleMatchesOnlyItsOwnTlsLabel) {
  Registry r(1);
  const HttpTarget web{Direction::inbound, "", kApp, TlsRef::established(kWebId)};
  auto route = r.shard(0).http().open_route(web);
  EXPECT_TRUE(route.matches(web));
  HttpTarget other = web;
  other.tls = TlsRef::established(kVotingId);
  EXPECT_FALSE(route.matches(other));
  other.tls = TlsRef::opaque(kWebId);
  EXPECT_FALSE(route.matches(other));
  other.tls = TlsRef::no_identity(kWebId);
  EXPECT_FALSE(route.matches(other));
  // Two identities are two series; the same identity again is the same series.
  auto voting =
      r.shard(0).http().open_route({Direction::inbound, "", kApp, TlsRef::established(kVotingId)});
  auto again = r.shard(0).http().open_route(web);
  route.count_request();
  again.count_request();
  voting.count_request();
  const std::string out = render_http(r);
  EXPECT_NE(out.find(R"(client_id="spiffe://cluster.local/ns/emojivoto/sa/web"} 2)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"(client_id="spiffe://cluster.local/ns/emojivoto/sa/voting"} 1)"),
            std::string::npos)
      << out;
}

TEST(TlsLabels, IdentitiesAreEscaped) {
  Registry r(1);
  auto conn =
      r.shard(0).open_tcp({Direction::inbound, Peer::src, kApp, TlsRef::established("a\\b\"c\nd")});
  EXPECT_NE(render_tcp(r).find(R"(client_id="a\\b\"c\nd"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace weft::metrics
