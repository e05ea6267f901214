// Running real programs from tests (curl, promtool, the weft-proxy binary): fork/exec with
// pipes, an environment, and a bounded wait. Kills only the child it started, by PID.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

struct CommandResult {
  int exit_code = -1;  // -1: killed after the timeout or by a signal
  std::string out;
  std::string err;
};

/// Runs argv[0] (looked up in PATH) with `input` on stdin and waits at most `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// True when the program exists in PATH.
bool have_program(const std::string& name);

/// A background child process with its stderr captured to a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;

  int pid() const noexcept { return pid_; }
  void signal(int sig) const;
  /// Waits for exit; the exit code, or nullopt on timeout (or -signal when killed by one).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Everything the child wrote to stderr so far.
  std::string stderr_text() const;
  /// Waits until stderr contains `needle`; returns the text after it up to the end of line.
  std::optional<std::string> wait_for_log(const std::string& needle,
                                          std::chrono::milliseconds timeout) const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  std::string err_path_;
};

}  // namespace weft::test
