#include "weft/init/runner.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace weft::init {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

Failure os_failure(std::string_view what, int err) {
  return {kExitOsError, std::string(what) + ": " + errno_text(err)};
}

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

/// The other modes whose binaries for this family are installed, for the "did you mean" hint.
std::string available_modes(IptablesMode missing, Family family) {
  std::string out;
  for (const auto mode : {IptablesMode::nft, IptablesMode::legacy, IptablesMode::plain}) {
    if (mode == missing) continue;
    const auto names = binaries_for(mode, family);
    if (find_program(names.save) && find_program(names.restore)) {
      out += out.empty() ? "" : " or ";
      out += "--iptables-mode " + std::string(to_string(mode));
    }
  }
  return out;
}

/// Effective capability bits via capget(2); libcap is not needed for one syscall.
bool has_capability(int cap) noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> data{};
  if (::syscall(SYS_capget, &header, data.data()) != 0) return false;
  return (data[static_cast<std::size_t>(cap / 32)].effective & (1U << (cap % 32))) != 0;
}

bool uses_legacy_backend(const std::string& program) {
  std::error_code ec;
  const auto real = std::filesystem::canonical(program, ec);
  const auto name = (ec ? std::filesystem::path(program) : real).filename().string();
  return name.find("legacy") != std::string::npos;
}

[[noreturn]] void exec_child(const std::string& program, const std::vector<std::string>& args,
                             const std::array<int, 2>& in, const std::array<int, 2>& out,
                             const std::array<int, 2>& err) {
  ::signal(SIGPIPE, SIG_DFL);
  if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(127);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execve(program.c_str(), argv.data(), environ);
  const std::string msg = "weft-init: cannot execute " + program + ": " + errno_text(errno) + "\n";
  [[maybe_unused]] const auto n = ::write(2, msg.data(), msg.size());
  ::_exit(127);
}

/// Writes `input` to `to_child` and drains `from_out`/`from_err` until both close; closes all
/// three.
void pump(int to_child, int from_out, int from_err, std::string_view input, CommandResult& result) {
  std::array<pollfd, 3> fds{pollfd{from_out, POLLIN, 0}, pollfd{from_err, POLLIN, 0},
                            pollfd{to_child, POLLOUT, 0}};
  if (input.empty()) {
    ::close(to_child);
    fds[2].fd = -1;
  }
  std::array<char, 16384> buf{};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const auto n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0)
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      const auto n = ::write(fds[2].fd, input.data(), input.size());
      if (n > 0) input.remove_prefix(static_cast<std::size_t>(n));
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || input.empty()) {
        ::close(fds[2].fd);  // EPIPE: the child stopped reading; its stderr says why
        fds[2].fd = -1;
      }
    }
  }
  if (fds[2].fd >= 0) ::close(fds[2].fd);
}

std::string numbered(std::string_view text) {
  std::string out;
  int line = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    out += "  " + std::to_string(++line) + "  " + std::string(text.substr(0, eol)) + "\n";
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// What to try when reading the nat table fails: usually a backend the kernel lacks, or no IPv6.
std::string save_hint(const Programs& programs) {
  std::string hint =
      "The kernel may not support this iptables backend (nft needs nf_tables, legacy needs "
      "ip_tables/iptable_nat): "
      "try the other --iptables-mode.";
  if (programs.family == Family::v6)
    hint += " If IPv6 is disabled in this pod or kernel, pass --ipv6=false.";
  return hint;
}

}  // namespace

Binaries binaries_for(IptablesMode mode, Family family) {
  std::string stem = family == Family::v4 ? "iptables" : "ip6tables";
  if (mode != IptablesMode::plain) {
    stem += '-';
    stem += to_string(mode);
  }
  return {stem + "-save", stem + "-restore"};
}

std::optional<std::string> find_program(std::string_view name) {
  const char* env_path = std::getenv("PATH");
  std::string dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::string_view rest = dirs;
  while (true) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    if (!dir.empty()) {
      auto candidate = std::string(dir) + "/" + std::string(name);
      if (is_executable(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

outcome<Programs> locate(IptablesMode mode, Family family) {
  const auto names = binaries_for(mode, family);
  Programs programs;
  programs.family = family;
  for (const auto& [name, slot] :
       {std::pair{&names.save, &programs.save}, std::pair{&names.restore, &programs.restore}}) {
    auto path = find_program(*name);
    if (path) {
      *slot = *path;
      continue;
    }
    std::string message = *name + " was not found in PATH or /usr/sbin: --iptables-mode " +
                          std::string(to_string(mode)) + " needs it.";
    const auto others = available_modes(mode, family);
    if (!others.empty())
      message += " Installed alternative: pass " + others + ".";
    else
      message += " Install the iptables package.";
    if (family == Family::v6) message += " To write IPv4 rules only, pass --ipv6=false.";
    return Failure{kExitUnavailable, message};
  }
  return programs;
}

outcome<void> check_capabilities(const Programs& programs) {
  const std::string advice =
      " Run weft-init as root or add it to the container's securityContext.capabilities.add;"
      " --simulate shows the rules without privileges.";
  if (!has_capability(CAP_NET_ADMIN)) {
    return Failure{
        kExitNoPermission,
        "missing capability CAP_NET_ADMIN, which changing iptables rules needs." + advice};
  }
  if (uses_legacy_backend(programs.restore) && !has_capability(CAP_NET_RAW)) {
    return Failure{kExitNoPermission, "legacy iptables (" + programs.restore +
                                          ") also needs CAP_NET_RAW, which this process lacks." +
                                          advice};
  }
  return {};
}

outcome<void> enter_netns(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Failure{kExitNoInput,
                     "--netns " + path +
                         " does not exist: create the namespace first (ip netns add NAME gives "
                         "/run/netns/NAME) or pass /proc/PID/ns/net of a process inside it"};
    }
    return Failure{kExitNoInput, "--netns " + path + ": cannot open: " + errno_text(err)};
  }
  const int rc = ::setns(fd, CLONE_NEWNET);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return {};
  if (err == EINVAL) {
    return Failure{
        kExitNoInput,
        "--netns " + path +
            " is not a network namespace (expected /run/netns/NAME or /proc/PID/ns/net)"};
  }
  if (err == EPERM) {
    return Failure{kExitOsError, "--netns " + path + ": setns failed: " + errno_text(err) +
                                     " (entering a network namespace needs CAP_SYS_ADMIN)"};
  }
  return os_failure("--netns " + path + ": setns failed", err);
}

outcome<CommandResult> run_command(const std::string& program, const std::vector<std::string>& args,
                                   std::string_view input) {
  std::array<int, 2> in{-1, -1}, out{-1, -1}, err{-1, -1};
  if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0 ||
      ::pipe2(err.data(), O_CLOEXEC) != 0) {
    const int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
      if (fd >= 0) ::close(fd);
    return os_failure("pipe", e);
  }
  // Non-blocking stdin writes let pump() keep draining the child's output; a child that exited
  // must give EPIPE, not kill weft-init.
  ::fcntl(in[1], F_SETFL, ::fcntl(in[1], F_GETFL) | O_NONBLOCK);
  ::signal(SIGPIPE, SIG_IGN);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    return os_failure("fork", e);
  }
  if (pid == 0) exec_child(program, args, in, out, err);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  CommandResult result;
  pump(in[1], out[0], err[0], input, result);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return os_failure("waitpid " + program, errno);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

outcome<std::string> save_nat(const Programs& programs) {
  auto ran = run_command(programs.save, {"-t", "nat"});
  if (!ran) return ran.error();
  if (ran->exit_code != 0) {
    return Failure{kExitIptables, programs.save + " -t nat failed (exit " +
                                      std::to_string(ran->exit_code) + "): " + trimmed(ran->err) +
                                      "\n" + save_hint(programs)};
  }
  return ran->out;
}

outcome<void> restore(const Programs& programs, std::string_view rules) {
  auto ran = run_command(programs.restore, {"-w", "5", "--noflush"}, rules);
  if (!ran) return ran.error();
  if (ran->exit_code != 0) {
    return Failure{kExitIptables, programs.restore + " -w 5 --noflush failed (exit " +
                                      std::to_string(ran->exit_code) + "): " + trimmed(ran->err) +
                                      "\nIts input was:\n" + numbered(rules)};
  }
  return {};
}

}  // namespace weft::init
