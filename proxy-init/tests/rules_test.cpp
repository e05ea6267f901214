// The rule renderer against golden iptables-restore files, plus multiport splitting and the
// admin-port rule. Regenerate the golden files after an intended change with
// WEFT_UPDATE_GOLDEN=1 build/bin/weft_init_tests, and review the diff.
#include "weft/init/rules.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace weft::init {
namespace {

InitConfig parsed(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  auto invocation = parse_args(v);
  EXPECT_TRUE(invocation) << invocation.error().message;
  return invocation ? invocation->config : InitConfig{};
}

[[nodiscard]] testing::AssertionResult matches_golden(const std::string& name,
                                                      const std::string& actual) {
  const std::string path = std::string(WEFT_INIT_GOLDEN_DIR) + "/" + name;
  if (std::getenv("WEFT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return testing::AssertionSuccess() << "updated " << path;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return testing::AssertionFailure() << "missing golden file " << path;
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return testing::AssertionSuccess();
  return testing::AssertionFailure() << path << " differs.\n--- expected\n"
                                     << expected.str() << "--- actual\n"
                                     << actual;
}

std::vector<core::PortRange> singles(std::uint16_t first, int count) {
  std::vector<core::PortRange> out;
  for (int i = 0; i < count; ++i)
    out.push_back({static_cast<std::uint16_t>(first + i), static_cast<std::uint16_t>(first + i)});
  return out;
}

TEST(InitRules, DefaultIpv4) {
  EXPECT_TRUE(matches_golden("default_v4.rules", render_rules(InitConfig{}, Family::v4, {})));
}

TEST(InitRules, DefaultIpv6) {
  EXPECT_TRUE(matches_golden("default_v6.rules", render_rules(InitConfig{}, Family::v6, {})));
}

TEST(InitRules, IgnoredPortsWithRangesSplitAt15Slots) {
  const auto config = parsed({"--inbound-ports-to-ignore",
                              "4190,4191,25,587,3306,4444,5432,6379,9300,11211,8000-8010,9000-9010,"
                              "12000-12010,13000-13010",
                              "--outbound-ports-to-ignore",
                              "443,6443,4567-4568,1-10,20,21,22,23,24,25,26,27,28,29,30"});
  EXPECT_TRUE(matches_golden("ignored_ports.rules", render_rules(config, Family::v4, {})));
}

TEST(InitRules, ProxyGidAndCustomPorts) {
  const auto config = parsed({"-p", "15006", "-o", "15001", "-u", "1337", "-g", "1338"});
  EXPECT_TRUE(matches_golden("gid.rules", render_rules(config, Family::v4, {})));
}

TEST(InitRules, SubnetsGoToTheirOwnFamilyBothWays) {
  const auto config = parsed(
      {"--subnets-to-ignore", "10.0.0.0/8,fd00::/8,192.168.1.0/24,2001:db8::/32,10.0.0.0/8"});
  EXPECT_TRUE(matches_golden("subnets_v4.rules", render_rules(config, Family::v4, {})));
  EXPECT_TRUE(matches_golden("subnets_v6.rules", render_rules(config, Family::v6, {})));
}

TEST(InitRules, JumpsAlreadyPresentAreNotAddedAgain) {
  EXPECT_TRUE(matches_golden("jumps_present.rules",
                             render_rules(InitConfig{}, Family::v4, installed_state())));
  ExistingState only_prerouting;
  only_prerouting.inbound_chain = true;
  only_prerouting.prerouting_jumps.emplace_back(kPreroutingJump);
  const auto rules = render_rules(InitConfig{}, Family::v4, only_prerouting);
  EXPECT_EQ(rules.find("-A PREROUTING"), std::string::npos);
  EXPECT_NE(rules.find("-A " + std::string(kOutputJump) + "\n"), std::string::npos);
}

TEST(InitRules, Cleanup) {
  EXPECT_TRUE(matches_golden("cleanup.rules", render_cleanup(installed_state())));
  EXPECT_EQ(render_cleanup(ExistingState{}), "");
}

TEST(InitRules, CleanupOfAPartialOrLinkerdInstall) {
  // Chains left without jumps (an interrupted cleanup), and a jump that Linkerd's proxy-init wrote.
  ExistingState state;
  state.inbound_chain = true;
  state.outbound_chain = true;
  state.output_jumps.emplace_back(
      R"(OUTPUT -m comment --comment "proxy-init/install-proxy-init-output" -j PROXY_INIT_OUTPUT)");
  EXPECT_TRUE(matches_golden("cleanup_partial.rules", render_cleanup(state)));
}

TEST(InitRules, NoOwnerRuleForUidZero) {
  const auto rules = render_rules(parsed({"--proxy-uid", "0"}), Family::v4, {});
  EXPECT_EQ(rules.find("--uid-owner"), std::string::npos);
  EXPECT_EQ(rules.find("--gid-owner"), std::string::npos);
}

TEST(InitRules, EveryRuleHasAWeftInitComment) {
  const auto config =
      parsed({"-g", "5", "--inbound-ports-to-ignore", "1-100", "--outbound-ports-to-ignore", "443",
              "--subnets-to-ignore", "10.0.0.0/8"});
  std::istringstream lines(render_rules(config, Family::v4, {}) +
                           render_cleanup(installed_state()));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("-A ")) {
      EXPECT_NE(line.find(R"(-m comment --comment "weft-init/)"), std::string::npos) << line;
    }
  }
}

TEST(InitRules, RenderedRulesReadBackAsInstalled) {
  // What render_rules writes is what parse_saved_nat recognises, so a second run adds no jump
  // and cleanup removes exactly those two.
  EXPECT_EQ(parse_saved_nat(render_rules(InitConfig{}, Family::v4, {})), installed_state());
}

TEST(InitMultiport, SplitsAt15SlotsCountingRangesAsTwo) {
  EXPECT_TRUE(split_multiport({}).empty());
  EXPECT_EQ(split_multiport(singles(1, 15)).size(), 1u);
  const auto sixteen = split_multiport(singles(1, 16));
  ASSERT_EQ(sixteen.size(), 2u);
  EXPECT_EQ(sixteen[0].size(), 15u);
  EXPECT_EQ(sixteen[1].size(), 1u);

  std::vector<core::PortRange> ranges;
  for (std::uint16_t i = 0; i < 7; ++i)
    ranges.push_back(
        {static_cast<std::uint16_t>(100 + 10 * i), static_cast<std::uint16_t>(105 + 10 * i)});
  auto fifteen = ranges;
  fifteen.push_back({1, 1});
  EXPECT_EQ(split_multiport(fifteen).size(), 1u);  // 7 ranges (14 slots) + 1 port
  auto overflow = ranges;
  overflow.push_back({1, 2});
  const auto groups = split_multiport(overflow);  // the eighth range does not fit
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1], (std::vector<core::PortRange>{{1, 2}}));
}

TEST(InitAdminPorts, AlwaysIgnoredInboundWithoutDuplicates) {
  using V = std::vector<core::PortRange>;
  EXPECT_EQ(effective_inbound_ignores(InitConfig{}), (V{{4190, 4190}, {4191, 4191}}));
  EXPECT_EQ(effective_inbound_ignores(parsed({"--inbound-ports-to-ignore", "4191,80,80"})),
            (V{{4190, 4190}, {4191, 4191}, {80, 80}}));
  EXPECT_EQ(effective_inbound_ignores(parsed({"--inbound-ports-to-ignore", "4000-4200"})),
            (V{{4000, 4200}}));
  EXPECT_EQ(effective_inbound_ignores(parsed({"--inbound-ports-to-ignore", "4190,4191,4567,4568"})),
            (V{{4190, 4190}, {4191, 4191}, {4567, 4567}, {4568, 4568}}));
}

}  // namespace
}  // namespace weft::init
