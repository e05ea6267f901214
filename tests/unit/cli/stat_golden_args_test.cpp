// `weft stat` arguments: NAME=ADDR[,ADDR...] targets, flags, and the usage errors.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/stat_golden.hpp"

namespace weft::cli {
namespace {

std::optional<GoldenStatOptions> parse(std::vector<std::string_view> args, std::string* err_text) {
  std::ostringstream err;
  auto options = parse_golden_options(args, err);
  if (err_text) *err_text = err.str();
  return options;
}

TEST(StatGoldenArgs, NamedTargetsWithSeveralProxies) {
  const auto o = parse({"--interval", "3s", "web=10.77.0.3:4191,10.77.0.5:4191",
                        "voting=10.77.0.4", "--timeout=1s"},
                       nullptr);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->interval, std::chrono::seconds(3));
  EXPECT_EQ(o->timeout, std::chrono::seconds(1));
  EXPECT_EQ(o->direction, metrics::Direction::inbound);
  ASSERT_EQ(o->targets.size(), 2u);
  EXPECT_EQ(o->targets[0].name, "web");
  ASSERT_EQ(o->targets[0].proxies.size(), 2u);
  EXPECT_EQ(o->targets[0].proxies[1].to_string(), "10.77.0.5:4191");
  EXPECT_EQ(o->targets[1].name, "voting");
  ASSERT_EQ(o->targets[1].proxies.size(), 1u);
  EXPECT_EQ(o->targets[1].proxies[0].port, 4191);  // the admin port by default
}

TEST(StatGoldenArgs, AnUnnamedTargetIsNamedAfterItsAddress) {
  const auto o = parse({"127.0.0.1:4191", "--outbound", "--interval=0"}, nullptr);
  ASSERT_TRUE(o);
  ASSERT_EQ(o->targets.size(), 1u);
  EXPECT_EQ(o->targets[0].name, "127.0.0.1:4191");
  EXPECT_EQ(o->direction, metrics::Direction::outbound);
  EXPECT_EQ(o->interval.count(), 0);
}

TEST(StatGoldenArgs, DefaultsAreFiveSecondWindowsInbound) {
  const auto o = parse({"a=127.0.0.1:1"}, nullptr);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->interval, std::chrono::seconds(5));
  EXPECT_EQ(o->timeout, std::chrono::seconds(5));
}

TEST(StatGoldenArgs, BadArgumentsSayWhatIsWrong) {
  std::string err;
  EXPECT_FALSE(parse({}, &err));
  EXPECT_NE(err.find("no admin address"), std::string::npos) << err;
  EXPECT_FALSE(parse({"=127.0.0.1:4191"}, &err));
  EXPECT_NE(err.find("empty name"), std::string::npos) << err;
  EXPECT_FALSE(parse({"web="}, &err));
  EXPECT_NE(err.find("no admin address in 'web='"), std::string::npos) << err;
  EXPECT_FALSE(parse({"web=10.0.0.1:99999"}, &err));
  EXPECT_NE(err.find("invalid admin address '10.0.0.1:99999'"), std::string::npos) << err;
  EXPECT_FALSE(parse({"a=127.0.0.1:1", "--interval"}, &err));
  EXPECT_NE(err.find("--interval needs a value"), std::string::npos) << err;
  EXPECT_FALSE(parse({"a=127.0.0.1:1", "--timeout", "0"}, &err));
  EXPECT_NE(err.find("invalid duration '0'"), std::string::npos) << err;
  EXPECT_FALSE(parse({"a=127.0.0.1:1", "--wide"}, &err));
  EXPECT_NE(err.find("unknown flag --wide"), std::string::npos) << err;
}

TEST(StatGoldenArgs, HelpPrintsTheUsageAndSucceeds) {
  std::ostringstream out, err;
  const std::vector<std::string_view> args{"--help"};
  EXPECT_EQ(run_stat_golden(args, out, err), 0);
  EXPECT_NE(out.str().find("LATENCY_P95"), std::string::npos);
  EXPECT_TRUE(err.str().empty());
}

TEST(StatGoldenArgs, BadUsageExits64WithTheUsage) {
  std::ostringstream out, err;
  const std::vector<std::string_view> args{"--bogus"};
  EXPECT_EQ(run_stat_golden(args, out, err), 64);
  EXPECT_NE(err.str().find("Usage: weft stat"), std::string::npos);
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace weft::cli
