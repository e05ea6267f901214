// Unit tests for the endpoint's dst_* labels on the outbound HTTP and tcp_* series: where they
// render, that they key the series, and the pre-rendered label fragment in TextWriter.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "weft/metrics/http.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

constexpr std::string_view kWeb = R"(dst_namespace="emojivoto",dst_pod="web-5f86")";
constexpr std::string_view kOther = R"(dst_namespace="emojivoto",dst_pod="web-77aa")";

const tcp::endpoint kEndpoint(make_address("10.244.1.5"), 8080);

HttpTarget outbound(std::string_view dst_labels) {
  return HttpTarget{Direction::outbound, "web-svc:80", kEndpoint,
                    TlsRef::no_identity("not_provided_by_service_discovery"), dst_labels};
}

::testing::AssertionResult has_line(const std::string& text, const std::string& line) {
  if (text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line\n  " << line << "\nin\n" << text;
}

const std::string kHttp =
    R"(direction="outbound",authority="web-svc:80",target_addr="10.244.1.5:8080",)"
    R"(target_ip="10.244.1.5",target_port="8080",tls="no_identity",)"
    R"(no_tls_reason="not_provided_by_service_discovery")";

TEST(DstLabels, HttpSeriesRenderThemAfterTheTlsLabels) {
  Registry r(1);
  auto route = r.shard(0).http().open_route(outbound(kWeb));
  route.count_request();
  route.observe_latency(200, std::chrono::milliseconds(3));
  route.count_response({200, -1, Classification::success, ""});
  std::string out;
  r.render_http(out);
  const std::string l = kHttp + "," + std::string(kWeb);
  EXPECT_TRUE(has_line(out, "request_total{" + l + "} 1"));
  EXPECT_TRUE(has_line(out, "response_latency_ms_bucket{" + l + R"(,status_code="200",le="3"} 1)"));
  EXPECT_TRUE(has_line(out, "response_latency_ms_count{" + l + R"(,status_code="200"} 1)"));
  EXPECT_TRUE(has_line(
      out, "response_total{" + l +
               R"(,status_code="200",classification="success",grpc_status="",error=""} 1)"));
}

TEST(DstLabels, TheyKeyTheHttpSeries) {
  Registry r(1);
  auto& http = r.shard(0).http();
  auto web = http.open_route(outbound(kWeb));
  auto other = http.open_route(outbound(kOther));
  auto none = http.open_route(outbound(""));
  EXPECT_TRUE(web.matches(outbound(kWeb)));
  EXPECT_FALSE(web.matches(outbound(kOther)));
  EXPECT_FALSE(web.matches(outbound("")));
  EXPECT_TRUE(none.matches(outbound("")));
  web.count_request();
  web.count_request();
  other.count_request();
  none.count_request();
  std::string out;
  r.render_http(out);
  EXPECT_TRUE(has_line(out, "request_total{" + kHttp + "," + std::string(kWeb) + "} 2"));
  EXPECT_TRUE(has_line(out, "request_total{" + kHttp + "," + std::string(kOther) + "} 1"));
  EXPECT_TRUE(has_line(out, "request_total{" + kHttp + "} 1"));
  // The key holds its own copy: the caller's string may go.
  std::string owned(kWeb);
  auto again = http.open_route(outbound(owned));
  owned.assign(owned.size(), 'x');
  again.count_request();
  out.clear();
  r.render_http(out);
  EXPECT_TRUE(has_line(out, "request_total{" + kHttp + "," + std::string(kWeb) + "} 3"));
}

TEST(DstLabels, TcpSeriesRenderThemAfterTheTlsLabelsAndBeforeErrno) {
  Registry r(1);
  const TcpTarget target{Direction::outbound, Peer::dst, kEndpoint,
                         TlsRef::no_identity("not_provided_by_service_discovery"), kWeb};
  auto conn = r.shard(0).open_tcp(target);
  conn.add_write(10);
  auto plain = r.shard(0).open_tcp({Direction::outbound, Peer::dst, kEndpoint,
                                    TlsRef::no_identity("not_provided_by_service_discovery")});
  conn.close({});
  std::string out;
  r.render_tcp(out);
  const std::string base =
      R"(direction="outbound",peer="dst",target_addr="10.244.1.5:8080",target_ip="10.244.1.5",)"
      R"(target_port="8080",tls="no_identity",no_tls_reason="not_provided_by_service_discovery")";
  const std::string l = base + "," + std::string(kWeb);
  EXPECT_TRUE(has_line(out, "tcp_open_total{" + l + "} 1"));
  EXPECT_TRUE(has_line(out, "tcp_close_total{" + l + R"(,errno=""} 1)"));
  EXPECT_TRUE(has_line(out, "tcp_open_connections{" + l + "} 0"));
  EXPECT_TRUE(has_line(out, "tcp_write_bytes_total{" + l + "} 10"));
  // The same target without dst labels is another series, rendered first.
  EXPECT_TRUE(has_line(out, "tcp_open_connections{" + base + "} 1"));
  EXPECT_LT(out.find("tcp_open_total{" + base + "}"), out.find("tcp_open_total{" + l + "}"));
}

TEST(TextWriter, APreRenderedFragmentIsWrittenAsIs) {
  auto render = [](std::initializer_list<Label> labels) {
    std::string out;
    TextWriter(out).sample("x", std::span(labels.begin(), labels.size()), std::uint64_t{1});
    return out;
  };
  EXPECT_EQ(render({{"a", "1"}, {"", R"(k="v\"",j="w")"}, {"b", "2"}}),
            "x{a=\"1\",k=\"v\\\"\",j=\"w\",b=\"2\"} 1\n");
  EXPECT_EQ(render({{"", R"(k="v")"}, {"b", "2"}}), "x{k=\"v\",b=\"2\"} 1\n");
  EXPECT_EQ(render({{"a", "1"}, {"", ""}, {"b", "2"}}), "x{a=\"1\",b=\"2\"} 1\n");
  EXPECT_EQ(render({{"", ""}, {"b", "2"}}), "x{b=\"2\"} 1\n");
  EXPECT_EQ(render({{"", ""}}), "x 1\n");
  EXPECT_EQ(render({}), "x 1\n");
}

}  // namespace
}  // namespace weft::metrics
