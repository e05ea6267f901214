// Flag parsing: every flag in every spelling, defaults, and errors that name the flag.
#include "weft/init/options.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace weft::init {
namespace {

outcome<Invocation> parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_args(v);
}

InitConfig config_of(std::initializer_list<std::string_view> args) {
  auto parsed = parse(args);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? parsed->config : InitConfig{};
}

/// The error message for args that must fail with the usage exit status.
std::string error_of(std::initializer_list<std::string_view> args) {
  auto parsed = parse(args);
  EXPECT_FALSE(parsed);
  if (parsed) return {};
  EXPECT_EQ(parsed.error().exit_code, kExitUsage);
  return parsed.error().message;
}

std::vector<core::PortRange> ports(std::initializer_list<core::PortRange> list) { return list; }

TEST(InitOptions, Defaults) {
  const auto c = config_of({});
  EXPECT_EQ(c.incoming_proxy_port, 4143);
  EXPECT_EQ(c.outgoing_proxy_port, 4140);
  EXPECT_EQ(c.proxy_uid, 2102u);
  EXPECT_FALSE(c.proxy_gid);
  EXPECT_TRUE(c.inbound_ports_to_ignore.empty());
  EXPECT_TRUE(c.outbound_ports_to_ignore.empty());
  EXPECT_TRUE(c.subnets_to_ignore.empty());
  EXPECT_EQ(c.mode, IptablesMode::nft);
  EXPECT_TRUE(c.ipv6);
  EXPECT_FALSE(c.simulate);
  EXPECT_FALSE(c.cleanup);
  EXPECT_TRUE(c.netns.empty());
  EXPECT_EQ(parse({})->action, Action::run);
}

TEST(InitOptions, PortsInEverySpelling) {
  EXPECT_EQ(config_of({"--incoming-proxy-port", "1"}).incoming_proxy_port, 1);
  EXPECT_EQ(config_of({"--incoming-proxy-port=2"}).incoming_proxy_port, 2);
  EXPECT_EQ(config_of({"-p", "3"}).incoming_proxy_port, 3);
  EXPECT_EQ(config_of({"-p4"}).incoming_proxy_port, 4);
  EXPECT_EQ(config_of({"-p=5"}).incoming_proxy_port, 5);
  EXPECT_EQ(config_of({"--outgoing-proxy-port", "65535"}).outgoing_proxy_port, 65535);
  EXPECT_EQ(config_of({"--outgoing-proxy-port=7"}).outgoing_proxy_port, 7);
  EXPECT_EQ(config_of({"-o", "8"}).outgoing_proxy_port, 8);
}

TEST(InitOptions, UidAndGid) {
  EXPECT_EQ(config_of({"--proxy-uid", "1000"}).proxy_uid, 1000u);
  EXPECT_EQ(config_of({"-u", "0"}).proxy_uid, 0u);
  EXPECT_EQ(config_of({"--proxy-uid=4294967294"}).proxy_uid, 4294967294u);
  EXPECT_EQ(config_of({"--proxy-gid", "2103"}).proxy_gid, 2103u);
  EXPECT_EQ(config_of({"-g=0"}).proxy_gid, 0u);
}

TEST(InitOptions, PortListsWithRangesAppendWhenRepeated) {
  EXPECT_EQ(config_of({"--inbound-ports-to-ignore", "4567,4568"}).inbound_ports_to_ignore,
            ports({{4567, 4567}, {4568, 4568}}));
  EXPECT_EQ(config_of({"--outbound-ports-to-ignore=443,6000-6010"}).outbound_ports_to_ignore,
            ports({{443, 443}, {6000, 6010}}));
  EXPECT_EQ(config_of({"--outbound-ports-to-ignore", "443", "--outbound-ports-to-ignore", "6443"})
                .outbound_ports_to_ignore,
            ports({{443, 443}, {6443, 6443}}));
  EXPECT_TRUE(config_of({"--inbound-ports-to-ignore="}).inbound_ports_to_ignore.empty());
}

TEST(InitOptions, Subnets) {
  const auto c =
      config_of({"--subnets-to-ignore", "10.0.0.0/8,fd00::/8", "--subnets-to-ignore=192.168.1.1"});
  ASSERT_EQ(c.subnets_to_ignore.size(), 3u);
  EXPECT_EQ(c.subnets_to_ignore[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(c.subnets_to_ignore[1].to_string(), "fd00::/8");
  EXPECT_EQ(c.subnets_to_ignore[2].to_string(), "192.168.1.1/32");
}

TEST(InitOptions, IptablesMode) {
  EXPECT_EQ(config_of({"--iptables-mode", "legacy"}).mode, IptablesMode::legacy);
  EXPECT_EQ(config_of({"--iptables-mode=plain"}).mode, IptablesMode::plain);
  EXPECT_EQ(config_of({"--iptables-mode", "nft"}).mode, IptablesMode::nft);
}

TEST(InitOptions, BooleanFlagsTakeAnOptionalValue) {
  EXPECT_TRUE(config_of({"--ipv6"}).ipv6);
  EXPECT_FALSE(config_of({"--ipv6=false"}).ipv6);
  EXPECT_TRUE(config_of({"--ipv6=true"}).ipv6);
  EXPECT_FALSE(config_of({"--ipv6", "false"}).ipv6);
  EXPECT_FALSE(config_of({"--ipv6=0"}).ipv6);
  EXPECT_TRUE(config_of({"--simulate"}).simulate);
  EXPECT_FALSE(config_of({"--simulate=false"}).simulate);
  EXPECT_TRUE(config_of({"--cleanup"}).cleanup);
  // A flag after a boolean flag is a flag, not its value.
  const auto c = config_of({"--simulate", "--ipv6=false"});
  EXPECT_TRUE(c.simulate);
  EXPECT_FALSE(c.ipv6);
}

TEST(InitOptions, Netns) {
  EXPECT_EQ(config_of({"--netns", "/run/netns/x"}).netns, "/run/netns/x");
  EXPECT_EQ(config_of({"--netns=/proc/1/ns/net"}).netns, "/proc/1/ns/net");
}

TEST(InitOptions, LinkerdChartArguments) {
  const auto c =
      config_of({"--incoming-proxy-port", "4143", "--outgoing-proxy-port", "4140", "--proxy-uid",
                 "2102", "--inbound-ports-to-ignore", "4190,4191,4567,4568",
                 "--outbound-ports-to-ignore", "4567,4568", "--iptables-mode=nft", "--ipv6=false"});
  EXPECT_EQ(c.inbound_ports_to_ignore.size(), 4u);
  EXPECT_EQ(c.outbound_ports_to_ignore.size(), 2u);
  EXPECT_FALSE(c.ipv6);
}

TEST(InitOptions, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->action, Action::help);
  EXPECT_EQ(parse({"-h"})->action, Action::help);
  EXPECT_EQ(parse({"--version"})->action, Action::version);
  EXPECT_NE(usage().find("--subnets-to-ignore"), std::string::npos);
}

TEST(InitOptions, BadValuesNameTheFlag) {
  EXPECT_NE(error_of({"--incoming-proxy-port", "0"}).find("--incoming-proxy-port"),
            std::string::npos);
  EXPECT_NE(error_of({"--incoming-proxy-port=65536"}).find("--incoming-proxy-port"),
            std::string::npos);
  EXPECT_NE(error_of({"-p", "x"}).find("-p (--incoming-proxy-port)"), std::string::npos);
  EXPECT_NE(error_of({"--outgoing-proxy-port", "-1"}).find("--outgoing-proxy-port"),
            std::string::npos);
  EXPECT_NE(error_of({"--proxy-uid", "abc"}).find("--proxy-uid"), std::string::npos);
  EXPECT_NE(error_of({"--proxy-uid", "4294967295"}).find("--proxy-uid"), std::string::npos);
  EXPECT_NE(error_of({"-g", "-5"}).find("--proxy-gid"), std::string::npos);
  EXPECT_NE(error_of({"--iptables-mode", "iptables"}).find("--iptables-mode"), std::string::npos);
  EXPECT_NE(error_of({"--ipv6=maybe"}).find("--ipv6"), std::string::npos);
  EXPECT_NE(error_of({"--simulate=2"}).find("--simulate"), std::string::npos);
  EXPECT_NE(error_of({"--cleanup=nope"}).find("--cleanup"), std::string::npos);
  EXPECT_NE(error_of({"--netns="}).find("--netns"), std::string::npos);
}

TEST(InitOptions, BadListsNameTheFlagAndTheItem) {
  const auto ports_error = error_of({"--inbound-ports-to-ignore", "80,90000,443"});
  EXPECT_NE(ports_error.find("--inbound-ports-to-ignore"), std::string::npos);
  EXPECT_NE(ports_error.find("\"90000\""), std::string::npos);
  EXPECT_NE(error_of({"--outbound-ports-to-ignore", "20-10"}).find("--outbound-ports-to-ignore"),
            std::string::npos);
  const auto cidr_error = error_of({"--subnets-to-ignore", "10.0.0.0/8,10.0.0.0/33"});
  EXPECT_NE(cidr_error.find("--subnets-to-ignore"), std::string::npos);
  EXPECT_NE(cidr_error.find("\"10.0.0.0/33\""), std::string::npos);
}

TEST(InitOptions, MissingValuesUnknownFlagsAndStrayArguments) {
  EXPECT_NE(error_of({"--incoming-proxy-port"}).find("--incoming-proxy-port needs a value"),
            std::string::npos);
  EXPECT_NE(error_of({"-o"}).find("needs a value"), std::string::npos);
  EXPECT_NE(error_of({"--ports-to-redirect", "80"}).find("unknown flag --ports-to-redirect"),
            std::string::npos);
  EXPECT_NE(error_of({"-z"}).find("unknown flag -z"), std::string::npos);
  EXPECT_NE(error_of({"extra"}).find("unexpected argument \"extra\""), std::string::npos);
  EXPECT_NE(error_of({"--version=1"}).find("--version takes no value"), std::string::npos);
}

}  // namespace
}  // namespace weft::init
