// net::make_listener on [::] takes both families whatever the namespace's net.ipv6.bindv6only
// says. A dual-stack pod's inbound listener is [::]:4143, and iptables' IPv4 REDIRECT reaches it
// only as a v4-mapped connection; with bindv6only=1 (a per-namespace sysctl) and no explicit
// IPV6_V6ONLY=0, every IPv4 connection into the pod was refused (found by the netns IPv6 test).
//
// The reproduction runs in a forked child inside a network namespace of its own (as root, or as
// root of a new user namespace where unprivileged user namespaces are allowed); it never changes
// the sysctl of the namespace the tests run in. It is skipped where no namespace can be created.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "weft/net/listener.hpp"

namespace weft::test {
namespace {

namespace asio = boost::asio;

// Exit codes of the child.
constexpr int kOk = 0;
constexpr int kV4Refused = 10;
constexpr int kV6Refused = 11;
constexpr int kV6OnlySet = 12;
constexpr int kListenFailed = 13;
constexpr int kNoNamespace = 77;
constexpr int kNoSysctl = 78;

bool write_file(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

/// A network namespace of our own: directly when privileged, else inside a new user namespace
/// that maps our UID and GID to root (so that its sysctls are writable).
bool enter_private_netns() {
  if (::unshare(CLONE_NEWNET) == 0) return true;
  const auto uid = ::getuid();
  const auto gid = ::getgid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return false;
  return write_file("/proc/self/setgroups", "deny") &&
         write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") &&
         write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
}

bool loopback_up() {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  ::close(s);
  return ok;
}

/// A blocking connect from a plain socket of `ep`'s family; 0 or the errno.
int connect_errno(const asio::ip::tcp::endpoint& ep) {
  const int s = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  const int rc = ::connect(s, ep.data(), static_cast<socklen_t>(ep.size()));
  const int err = rc == 0 ? 0 : errno;
  ::close(s);
  return err;
}

/// In the child: bindv6only=1, then a [::] listener must still accept 127.0.0.1 and ::1.
int child_main() {
  ::alarm(20);  // never hang the test run
  if (!enter_private_netns() || !loopback_up()) return kNoNamespace;
  if (!write_file("/proc/sys/net/ipv6/bindv6only", "1")) return kNoSysctl;
  try {
    asio::io_context ioc;
    auto acceptor = net::make_listener(ioc, {asio::ip::make_address("::"), 0});
    const auto port = acceptor.local_endpoint().port();
    if (const int err = connect_errno({asio::ip::make_address("127.0.0.1"), port}); err != 0) {
      std::fprintf(stderr, "connect 127.0.0.1:%u: %s\n", port, std::strerror(err));
      return kV4Refused;
    }
    if (const int err = connect_errno({asio::ip::make_address("::1"), port}); err != 0) {
      std::fprintf(stderr, "connect [::1]:%u: %s\n", port, std::strerror(err));
      return kV6Refused;
    }
    asio::ip::v6_only v6_only;
    acceptor.get_option(v6_only);
    if (v6_only.value()) return kV6OnlySet;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_listener: %s\n", e.what());
    return kListenFailed;
  }
  return kOk;
}

TEST(Listener, WildcardV6TakesBothFamilies) {
  asio::io_context ioc;
  auto acceptor = net::make_listener(ioc, {asio::ip::make_address("::"), 0});
  asio::ip::v6_only v6_only;
  acceptor.get_option(v6_only);
  EXPECT_FALSE(v6_only.value());
  // A specific IPv6 address is left alone: [::1] cannot take IPv4 anyway.
  auto loopback6 = net::make_listener(ioc, {asio::ip::make_address("::1"), 0});
  EXPECT_EQ(loopback6.local_endpoint().address(), asio::ip::make_address("::1"));
}

TEST(Listener, WildcardV6TakesIpv4EvenWhenBindV6OnlyIsSet) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) ::_exit(child_main());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  switch (WEXITSTATUS(status)) {
    case kNoNamespace:
      GTEST_SKIP() << "cannot create a network namespace (needs root or unprivileged user "
                      "namespaces)";
    case kNoSysctl:
      GTEST_SKIP() << "cannot set net.ipv6.bindv6only in a private network namespace";
    default:
      break;
  }
  EXPECT_NE(WEXITSTATUS(status), kV6OnlySet) << "[::] listener has IPV6_V6ONLY set";
  EXPECT_NE(WEXITSTATUS(status), kV4Refused)
      << "IPv4 connection to a [::] listener refused under bindv6only=1";
  EXPECT_NE(WEXITSTATUS(status), kV6Refused) << "IPv6 connection to a [::] listener refused";
  EXPECT_NE(WEXITSTATUS(status), kListenFailed) << "make_listener([::]:0) threw";
  EXPECT_EQ(WEXITSTATUS(status), kOk);
}

}  // namespace
}  // namespace weft::test
