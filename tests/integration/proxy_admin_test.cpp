// The admin server of a running proxy, scraped as Prometheus would after real traffic: probes,
// and an exposition that the real `promtool check metrics` accepts.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/client.hpp"
#include "support/process.hpp"
#include "support/promtool_lint.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

TEST(ProxyAdmin, ProbesAndAPromtoolCleanScrapeAfterTraffic) {
  TestServer server(ServerKind::echo);
  auto proxy = start_proxy_to(server.endpoint());
  {
    Client c(proxy->outbound_endpoint());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send_all("traffic"));
    EXPECT_EQ(c.read_exactly(7), "traffic");
  }

  int status = 0;
  EXPECT_EQ(http_get(proxy->admin_endpoint(), "/live", &status), "live\n");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(http_get(proxy->admin_endpoint(), "/ready", &status), "ready\n");
  EXPECT_EQ(status, 200);
  ASSERT_TRUE(wait_for_metric(*proxy, "tcp_open_connections", {}, 0));
  const auto scrape = http_get(proxy->admin_endpoint(), "/metrics", &status);
  EXPECT_EQ(status, 200);
  for (const char* family :
       {"tcp_open_total", "tcp_close_total", "tcp_open_connections", "tcp_read_bytes_total",
        "tcp_write_bytes_total", "process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_open_fds", "process_start_time_seconds", "proxy_build_info"}) {
    EXPECT_NE(scrape.find(std::string("# TYPE ") + family), std::string::npos) << family;
  }
  EXPECT_GT(metric_value(scrape, "process_resident_memory_bytes"), 0);
  EXPECT_EQ(
      metric_value(scrape, "tcp_read_bytes_total", {{"direction", "outbound"}, {"peer", "src"}}),
      7);

  if (!have_program("promtool")) {
    if (std::getenv("CI") != nullptr)
      FAIL() << "promtool missing (scripts/install-deps.sh installs it)";
    GTEST_SKIP() << "promtool not installed";
  }
  const auto check = run_command({"promtool", "check", "metrics"}, scrape);
  EXPECT_TRUE(promtool_accepted(check.exit_code, check.out + check.err))
      << "promtool status " << check.exit_code << ":\n"
      << check.out << check.err;
}

}  // namespace
}  // namespace weft::test
