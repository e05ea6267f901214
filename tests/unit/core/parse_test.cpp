#include "weft/core/parse.hpp"

#include <gtest/gtest.h>

namespace weft::core {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("100ms").value(), 100ms);
  EXPECT_EQ(parse_duration("10s").value(), 10s);
  EXPECT_EQ(parse_duration("2m").value(), 2min);
  EXPECT_EQ(parse_duration("1h").value(), 1h);
  EXPECT_EQ(parse_duration("365d").value(), 365 * 24h);
  EXPECT_EQ(parse_duration("0").value(), 0ms);
  EXPECT_EQ(parse_duration(" 5s ").value(), 5s);
}

TEST(ParseDuration, RejectsMissingUnitsAndGarbage) {
  for (const char* bad : {"", "10", "s", "10x", "1.5s", "-1s", "10 s", "99999999999999999999d"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(ParseSocketAddr, ParsesIpv4AndBracketedIpv6) {
  auto v4 = parse_socket_addr("0.0.0.0:4143").value();
  EXPECT_EQ(v4.address().to_string(), "0.0.0.0");
  EXPECT_EQ(v4.port(), 4143);
  auto v6 = parse_socket_addr("[::1]:4140").value();
  EXPECT_TRUE(v6.address().is_v6());
  EXPECT_EQ(v6.port(), 4140);
  EXPECT_EQ(parse_socket_addr("127.0.0.1:0").value().port(), 0);
}

TEST(ParseSocketAddr, RejectsMalformed) {
  for (const char* bad : {"", "4143", "localhost:4143", "1.2.3.4", "1.2.3.4:65536", "::1:80",
                          "[::1]", "[::1]80", "1.2.3.4:-1", "1.2.3.4:http"}) {
    EXPECT_FALSE(parse_socket_addr(bad)) << bad;
  }
}

TEST(ParsePortRanges, KeepsOrderAndRanges) {
  auto r = parse_port_ranges("25, 587,4567-4568").value();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (PortRange{25, 25}));
  EXPECT_EQ(r[2], (PortRange{4567, 4568}));
  EXPECT_TRUE(contains_port(r, 4568));
  EXPECT_FALSE(contains_port(r, 4569));
  EXPECT_TRUE(parse_port_ranges("").value().empty());
}

TEST(ParsePortRanges, RejectsBadPorts) {
  for (const char* bad : {"0", "65536", "10-5", "a", "1,,2", "1-", "-3", "80-90-100"}) {
    EXPECT_FALSE(parse_port_ranges(bad)) << bad;
  }
}

TEST(ParseCidr, ParsesBothFamilies) {
  auto v4 = parse_cidr("10.0.0.0/8").value();
  EXPECT_TRUE(v4.is_v4());
  EXPECT_EQ(v4.to_string(), "10.0.0.0/8");
  EXPECT_EQ(parse_cidr("fd00::/8").value().prefix, 8u);
  EXPECT_EQ(parse_cidr("10.1.2.3").value().prefix, 32u);
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_cidr("nope/8"));
  EXPECT_EQ(parse_cidrs("10.0.0.0/8, fd00::/8").value().size(), 2u);
  EXPECT_FALSE(parse_cidrs("10.0.0.0/8,x"));
}

TEST(ParseScalars, BoolAndUint) {
  EXPECT_TRUE(parse_bool("TRUE").value());
  EXPECT_FALSE(parse_bool("0").value());
  EXPECT_TRUE(parse_bool("t").value());
  EXPECT_FALSE(parse_bool("F").value());
  EXPECT_FALSE(parse_bool("maybe"));
  EXPECT_EQ(parse_uint("4", 1, 8).value(), 4u);
  EXPECT_FALSE(parse_uint("0", 1, 8));
  EXPECT_FALSE(parse_uint("9", 1, 8));
}

}  // namespace
}  // namespace weft::core
