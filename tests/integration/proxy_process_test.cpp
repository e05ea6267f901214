// The real weft-proxy binary as an operator runs it: exit code 64 naming the bad variable,
// --help and --version, port-0 addresses logged, the loopback reverse-proxy mode through
// *_ORIG_DST_ADDR, and the SIGTERM drain (in-flight connections finish, new ones are refused,
// exit 0; after the grace period it exits 0 anyway).
#include <gtest/gtest.h>

#include <csignal>

#include "support/client.hpp"
#include "support/h2_tools.hpp"
#include "support/process.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"
#include "weft/core/parse.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> loopback_env(const boost::asio::ip::tcp::endpoint& target) {
  return {{"WEFT_PROXY_INBOUND_LISTEN_ADDR", "127.0.0.1:0"},
          {"WEFT_PROXY_OUTBOUND_LISTEN_ADDR", "127.0.0.1:0"},
          {"WEFT_PROXY_ADMIN_LISTEN_ADDR", "127.0.0.1:0"},
          {"WEFT_PROXY_INBOUND_ORIG_DST_ADDR", addr_label(target)},
          {"WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR", addr_label(target)},
          {"WEFT_PROXY_LOG", "info"}};
}

boost::asio::ip::tcp::endpoint logged_addr(const ChildProcess& p, const std::string& what) {
  const auto text = p.wait_for_log(what + " interface on ", 10s);
  EXPECT_TRUE(text) << p.stderr_text();
  return text ? core::parse_socket_addr(*text).value() : boost::asio::ip::tcp::endpoint{};
}

TEST(ProxyProcess, BadVariableExitsWithUsageCodeAndNamesIt) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"WEFT_PROXY_CORES", "0"},
           {"WEFT_PROXY_INBOUND_CONNECT_TIMEOUT", "10"},
           {"WEFT_PROXY_ADMIN_LISTEN_ADDR", "nowhere"},
           {"WEFT_PROXY_LOG_FORMAT", "yaml"}}) {
    const auto r = run_command({"env", name + "=" + value, WEFT_PROXY_BIN});
    EXPECT_EQ(r.exit_code, 64) << name;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
  }
}

TEST(ProxyProcess, MissingOrBadDestinationFileExitsWithUsageCodeAndNamesIt) {
  TestServer server(ServerKind::echo);
  TempFile bad("services:\n  - name: x\n    addresses: [\"10.0.0.1\"]\n");  // no port
  for (const std::string& path : {std::string("/nonexistent/destinations.yaml"), bad.path()}) {
    auto env = loopback_env(server.endpoint());
    env["WEFT_PROXY_DESTINATIONS"] = path;
    ChildProcess p({WEFT_PROXY_BIN}, env);
    const auto code = p.wait(10s);
    ASSERT_TRUE(code) << path;
    EXPECT_EQ(*code, 64) << path << ": " << p.stderr_text();
    EXPECT_NE(p.stderr_text().find("WEFT_PROXY_DESTINATIONS"), std::string::npos)
        << p.stderr_text();
  }
}

TEST(ProxyProcess, HelpListsEveryVariableAndVersionPrints) {
  const auto help = run_command({WEFT_PROXY_BIN, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const auto& var : core::proxy_env_vars()) {
    EXPECT_NE(help.out.find(var.name), std::string::npos) << var.name;
  }
  const auto version = run_command({WEFT_PROXY_BIN, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("weft-proxy ", 0), 0u) << version.out;
}

TEST(ProxyProcess, BindFailureExitsNonZeroWithAMessage) {
  TestServer busy(ServerKind::echo);
  auto env = loopback_env(busy.endpoint());
  env["WEFT_PROXY_ADMIN_LISTEN_ADDR"] = addr_label(busy.endpoint());  // taken, and not SO_REUSEPORT
  ChildProcess p({WEFT_PROXY_BIN}, env);
  const auto code = p.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(p.stderr_text().find("failed to start"), std::string::npos) << p.stderr_text();
}

TEST(ProxyProcess, SigtermDrainsInFlightConnectionsThenExitsZero) {
  TestServer server(ServerKind::echo);
  ChildProcess p({WEFT_PROXY_BIN}, loopback_env(server.endpoint()));
  const auto outbound = logged_addr(p, "Outbound");
  const auto admin = logged_addr(p, "Admin");
  int status = 0;
  EXPECT_EQ(http_get(admin, "/ready", &status), "ready\n");
  EXPECT_EQ(status, 200);

  Client in_flight(outbound);
  ASSERT_TRUE(in_flight.connected());
  ASSERT_TRUE(in_flight.send_all("before"));
  EXPECT_EQ(in_flight.read_exactly(6), "before");

  p.signal(SIGTERM);
  ASSERT_TRUE(p.wait_for_log("starting shutdown", 10s));
  // New connections are refused once the listeners close ...
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    Client probe(outbound, 1s);
    refused = probe.connect_errno() == ECONNREFUSED;
  }
  EXPECT_TRUE(refused);
  // ... while the one in flight still works, and the proxy waits for it.
  ASSERT_TRUE(in_flight.send_all("during"));
  EXPECT_EQ(in_flight.read_exactly(6), "during");
  EXPECT_FALSE(p.wait(200ms)) << "exited with a connection still open";
  in_flight.shutdown_write();
  ReadEnd end{};
  in_flight.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);
  const auto code = p.wait(10s);
  ASSERT_TRUE(code) << "did not exit after the last connection closed";
  EXPECT_EQ(*code, 0);
}

TEST(ProxyProcess, GracePeriodBoundsTheDrain) {
  TestServer server(ServerKind::echo);
  auto env = loopback_env(server.endpoint());
  env["WEFT_PROXY_SHUTDOWN_GRACE_PERIOD"] = "300ms";
  ChildProcess p({WEFT_PROXY_BIN}, env);
  Client held(logged_addr(p, "Inbound"));
  ASSERT_TRUE(held.connected());
  ASSERT_TRUE(held.send_all("x"));
  EXPECT_EQ(held.read_exactly(1), "x");
  p.signal(SIGINT);
  const auto code = p.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  EXPECT_NE(p.stderr_text().find("did not complete"), std::string::npos) << p.stderr_text();
}

TEST(ProxyProcess, JsonLogsAreOneObjectPerLine) {
  TestServer server(ServerKind::echo);
  auto env = loopback_env(server.endpoint());
  env["WEFT_PROXY_LOG_FORMAT"] = "json";
  ChildProcess p({WEFT_PROXY_BIN}, env);
  ASSERT_TRUE(p.wait_for_log("Outbound interface on ", 10s));
  p.signal(SIGTERM);
  ASSERT_TRUE(p.wait(10s));
  std::istringstream lines(p.stderr_text());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_NE(line.find("\"level\":\"info\""), std::string::npos) << line;
  }
  EXPECT_GE(count, 3);
}

}  // namespace
}  // namespace weft::test
