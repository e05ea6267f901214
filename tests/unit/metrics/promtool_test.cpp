// Checks the whole rendered exposition with the real `promtool check metrics`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

bool ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

// Runs `promtool check metrics` on `text`; returns its exit status and prints its findings.
::testing::AssertionResult promtool_accepts(const std::string& text) {
  char path[] = "/tmp/weft-promtool-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return ::testing::AssertionFailure() << "mkstemp failed";
  ::close(fd);
  { std::ofstream(path) << text; }
  const std::string cmd =
      std::string("timeout 60 /usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return ::testing::AssertionFailure() << "popen failed";
  std::string output;
  std::array<char, 512> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  const int status = ::pclose(p);
  ::unlink(path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !output.empty()) {
    return ::testing::AssertionFailure() << "promtool status " << status << ":\n" << output;
  }
  return ::testing::AssertionSuccess();
}

#define REQUIRE_PROMTOOL()                                                               \
  do {                                                                                   \
    if (::access("/usr/bin/promtool", X_OK) != 0) {                                      \
      if (ci()) FAIL() << "promtool is missing (Debian package prometheus) and CI=true"; \
      GTEST_SKIP() << "promtool not installed (Debian package prometheus)";              \
    }                                                                                    \
  } while (0)

// The harness itself: promtool must reject a broken exposition, else the checks prove nothing.
TEST(Promtool, RejectsBrokenText) {
  REQUIRE_PROMTOOL();
  EXPECT_FALSE(promtool_accepts("# TYPE x counter\nx{a=\"1} 2\n"));
}

TEST(Promtool, AcceptsAnEmptyRegistry) {
  REQUIRE_PROMTOOL();
  EXPECT_TRUE(promtool_accepts(Registry(1).render()));
}

TEST(Promtool, AcceptsTheRenderedExposition) {
  REQUIRE_PROMTOOL();
  Registry r(2);
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  auto a = r.shard(0).open_tcp({Direction::inbound, Peer::src,
                                tcp::endpoint(make_address("10.0.0.1"), 80), "no_tls_from_remote"});
  auto b =
      r.shard(1).open_tcp({Direction::outbound, Peer::dst,
                           tcp::endpoint(make_address("fd00::1"), 8080), "weird \"reason\"\n"});
  a.add_read(10);
  b.add_write(20);
  a.close(boost::asio::error::connection_reset);
  {
    auto c = r.shard(1).open_tcp({Direction::inbound, Peer::dst,
                                  tcp::endpoint(make_address("127.0.0.1"), 8080), "loopback"});
    c.close(boost::asio::error::network_down);
  }

  EXPECT_TRUE(promtool_accepts(r.render()));
}

}  // namespace
}  // namespace weft::metrics
