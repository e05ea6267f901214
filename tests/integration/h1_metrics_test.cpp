// The golden HTTP metrics of HTTP/1 requests through the proxy: request_total, response_total
// with status_code and classification, response_latency_ms, and the error counters of
// synthesized answers, scraped from the registry after real curl and raw-socket runs.
#include <gtest/gtest.h>

#include "support/h1_client.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

TEST(H1Metrics, RequestsAndResponsesAreCountedAndClassified) {
  auto endpoint = h1_endpoint();
  ASSERT_TRUE(endpoint.ok());
  auto proxy = start_proxy_to(endpoint.endpoint());
  const auto url = base_url(proxy->outbound_endpoint());
  const auto r =
      curl({"-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
            url + "/bytes/10", url + "/status/204", url + "/status/500", url + "/bytes/0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string authority = addr_label(proxy->outbound_endpoint());  // curl's Host
  const std::map<std::string, std::string> route = {
      {"direction", "outbound"},
      {"authority", authority},
      {"target_addr", addr_label(endpoint.endpoint())},
      {"tls", "no_identity"}};
  EXPECT_TRUE(wait_for_metric(*proxy, "request_total", route, 4));
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(route.begin(), route.end());
    return extra;
  };
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              with({{"status_code", "200"}, {"classification", "success"}}), 2));
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              with({{"status_code", "204"}, {"classification", "success"}}), 1));
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              with({{"status_code", "500"}, {"classification", "failure"}}), 1));
  EXPECT_TRUE(wait_for_metric(*proxy, "response_latency_ms_count", route, 4));
  EXPECT_EQ(metric_value(proxy->registry().render(), "outbound_http_errors_total"), 0);
}

TEST(H1Metrics, SynthesizedErrorsAreCountedWithTheirLabel) {
  auto proxy = start_proxy_to(closed_port());
  const auto r = curl({"-o", "/dev/null", base_url(proxy->outbound_endpoint()) + "/x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(wait_for_metric(*proxy, "outbound_http_errors_total", {{"error", "connect"}}, 1));
  EXPECT_TRUE(wait_for_metric(
      *proxy, "response_total",
      {{"status_code", "502"}, {"classification", "failure"}, {"error", "connect"}}, 1));
  EXPECT_TRUE(wait_for_metric(*proxy, "request_total", {{"direction", "outbound"}}, 1));
}

TEST(H1Metrics, BadRequestsCountAsBadRequestErrors) {
  auto endpoint = h1_endpoint();
  ASSERT_TRUE(endpoint.ok());
  auto proxy = start_proxy_to(endpoint.endpoint());
  Client c(proxy->inbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send_all("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n"));
  std::string pending;
  EXPECT_EQ(read_response(c, pending).status, 400u);
  EXPECT_TRUE(wait_for_metric(*proxy, "inbound_http_errors_total", {{"error", "bad request"}}, 1));
}

}  // namespace
}  // namespace weft::test
