// weft-init's failure type: what to tell the user and which exit status to end with. Option
// parsing and the runner both return it; only main() prints it. Exit statuses follow sysexits.h.
#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace weft::init {

/// Bad flag or flag value.
inline constexpr int kExitUsage = 64;
/// The --netns path does not exist or is not a network namespace.
inline constexpr int kExitNoInput = 66;
/// The iptables binaries for the chosen mode (or for IPv6) are not installed.
inline constexpr int kExitUnavailable = 69;
/// A system call failed (setns, fork, pipe).
inline constexpr int kExitOsError = 71;
/// The process lacks CAP_NET_ADMIN (or CAP_NET_RAW for legacy iptables).
inline constexpr int kExitNoPermission = 77;
/// iptables-save or iptables-restore ran and failed.
inline constexpr int kExitIptables = 1;

struct Failure {
  // A constructor, not an aggregate: result<bool, Failure> must not see bool -> Failure.
  Failure() = default;
  Failure(int code, std::string text) : exit_code(code), message(std::move(text)) {}
  int exit_code = kExitIptables;
  std::string message;
};

/// Lets boost::system::result<T, Failure>::value() throw; weft-init itself never calls value()
/// on a failure, it checks first.
[[noreturn]] inline void throw_exception_from_error(const Failure& f,
                                                    const boost::source_location&) {
  throw std::runtime_error(f.message);
}

template <class T>
using outcome = boost::system::result<T, Failure>;

}  // namespace weft::init
