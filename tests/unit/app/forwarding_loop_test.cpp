#include <gtest/gtest.h>

#include "weft/app/tcp_forward.hpp"
#include "weft/core/clock.hpp"
#include "weft/core/parse.hpp"

namespace weft::app {
namespace {

boost::asio::ip::tcp::endpoint ep(const char* s) { return core::parse_socket_addr(s).value(); }

TEST(ForwardingLoop, WildcardListenerLoopsOnItsPortAtAnyAddress) {
  EXPECT_TRUE(is_forwarding_loop(ep("0.0.0.0:4143"), ep("10.0.0.5:4143")));
  EXPECT_FALSE(is_forwarding_loop(ep("0.0.0.0:4143"), ep("10.0.0.5:8080")));
}

TEST(ForwardingLoop, SpecificListenerLoopsOnlyOnItsOwnAddress) {
  EXPECT_TRUE(is_forwarding_loop(ep("127.0.0.1:4140"), ep("127.0.0.1:4140")));
  EXPECT_FALSE(is_forwarding_loop(ep("127.0.0.1:4140"), ep("127.0.0.2:4140")));
}

TEST(IdleTracker, ExpiresOnlyAfterTheTimeoutWithoutActivity) {
  const auto t0 = Clock::time_point{};
  IdleTracker idle(t0, std::chrono::seconds(10));
  EXPECT_FALSE(idle.expired(t0 + std::chrono::seconds(9)));
  idle.touch(t0 + std::chrono::seconds(9));
  EXPECT_FALSE(idle.expired(t0 + std::chrono::seconds(18)));
  EXPECT_TRUE(idle.expired(t0 + std::chrono::seconds(19)));
  EXPECT_EQ(idle.deadline(), t0 + std::chrono::seconds(19));
}

}  // namespace
}  // namespace weft::app
