// The runner's pure parts (binary names per mode) and its child-process plumbing, driven with
// /bin/sh and cat: no iptables and no privileges needed.
#include "weft/init/runner.hpp"

#include <gtest/gtest.h>

namespace weft::init {
namespace {

TEST(InitRunner, BinariesPerModeAndFamily) {
  EXPECT_EQ(binaries_for(IptablesMode::nft, Family::v4).save, "iptables-nft-save");
  EXPECT_EQ(binaries_for(IptablesMode::nft, Family::v4).restore, "iptables-nft-restore");
  EXPECT_EQ(binaries_for(IptablesMode::nft, Family::v6).restore, "ip6tables-nft-restore");
  EXPECT_EQ(binaries_for(IptablesMode::legacy, Family::v4).restore, "iptables-legacy-restore");
  EXPECT_EQ(binaries_for(IptablesMode::legacy, Family::v6).save, "ip6tables-legacy-save");
  EXPECT_EQ(binaries_for(IptablesMode::plain, Family::v4).save, "iptables-save");
  EXPECT_EQ(binaries_for(IptablesMode::plain, Family::v6).restore, "ip6tables-restore");
}

TEST(InitRunner, FindsProgramsInPath) {
  const auto sh = find_program("sh");
  ASSERT_TRUE(sh);
  EXPECT_TRUE(sh->ends_with("/sh"));
  EXPECT_FALSE(find_program("weft-init-no-such-program"));
}

TEST(InitRunner, RunsAChildWithStdinAndCollectsBothOutputs) {
  auto ran = run_command("/bin/sh", {"-c", "cat; echo oops >&2; exit 3"}, "*nat\nCOMMIT\n");
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->exit_code, 3);
  EXPECT_EQ(ran->out, "*nat\nCOMMIT\n");
  EXPECT_EQ(ran->err, "oops\n");
}

TEST(InitRunner, LargeInputAndOutputDoNotDeadlock) {
  const std::string big(4 << 20, 'x');  // far beyond a pipe's buffer, both ways
  auto ran = run_command("/bin/cat", {}, big);
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->exit_code, 0);
  EXPECT_EQ(ran->out.size(), big.size());
}

TEST(InitRunner, AChildThatIgnoresItsInputIsNotAnError) {
  const std::string big(1 << 20, 'x');
  auto ran = run_command("/bin/sh", {"-c", "exec 0<&-; echo done"}, big);
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_EQ(ran->out, "done\n");
}

TEST(InitRunner, ExecFailureIsExit127WithAMessage) {
  auto ran = run_command("/nonexistent/iptables-nft-restore", {});
  ASSERT_TRUE(ran);
  EXPECT_EQ(ran->exit_code, 127);
  EXPECT_NE(ran->err.find("cannot execute /nonexistent/iptables-nft-restore"), std::string::npos);
}

TEST(InitRunner, MissingNetnsPathIsANoInputError) {
  auto entered = enter_netns("/run/netns/weft-init-no-such-namespace");
  ASSERT_FALSE(entered);
  EXPECT_EQ(entered.error().exit_code, kExitNoInput);
  EXPECT_NE(entered.error().message.find("does not exist"), std::string::npos);
}

TEST(InitRunner, AFileThatIsNotANamespaceIsRejected) {
  auto entered = enter_netns("/proc/self/status");
  ASSERT_FALSE(entered);
  // EINVAL as root; EPERM without CAP_SYS_ADMIN, which setns checks first.
  EXPECT_TRUE(entered.error().exit_code == kExitNoInput ||
              entered.error().exit_code == kExitOsError)
      << entered.error().message;
}

}  // namespace
}  // namespace weft::init
