// The part of weft-init that touches the system: which iptables binaries a mode uses and where
// they are, the capability check, entering a network namespace, and running iptables-save and
// iptables-restore as child processes (fork/exec with pipes, never a shell). Called by main().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/init/failure.hpp"
#include "weft/init/options.hpp"
#include "weft/init/rules.hpp"

namespace weft::init {

/// Program names (not paths) of the save and restore binaries for a mode and family,
/// e.g. iptables-nft-save / iptables-nft-restore, ip6tables-legacy-save, iptables-restore.
struct Binaries {
  std::string save;
  std::string restore;
};
Binaries binaries_for(IptablesMode mode, Family family);

/// Resolved paths of a family's binaries.
struct Programs {
  Family family = Family::v4;
  std::string save;
  std::string restore;
};

/// Looks for `name` in $PATH, then in /usr/local/sbin, /usr/sbin and /sbin (which a non-root
/// user's PATH often lacks). Returns the executable's path, or nothing.
std::optional<std::string> find_program(std::string_view name);

/// Both binaries of a family, or kExitUnavailable naming the missing one and what to do.
outcome<Programs> locate(IptablesMode mode, Family family);

/// Fails with kExitNoPermission unless the effective capability set holds CAP_NET_ADMIN, and also
/// CAP_NET_RAW when the binaries are iptables-legacy (which opens a raw socket). Uses capget(2).
outcome<void> check_capabilities(const Programs& programs);

/// Moves this (single-threaded) process into the network namespace at `path` with setns(2).
/// Errors: kExitNoInput when the path is missing or not a network namespace, kExitOsError when
/// setns fails (usually EPERM: CAP_SYS_ADMIN is needed).
outcome<void> enter_netns(const std::string& path);

struct CommandResult {
  int exit_code = 0;  ///< the exit status, or 128 + signal number
  std::string out;
  std::string err;
};

/// Runs `program args...` with `input` on its stdin and collects stdout and stderr.
/// Errors: kExitOsError when the process cannot be started.
outcome<CommandResult> run_command(const std::string& program, const std::vector<std::string>& args,
                                   std::string_view input = {});

/// Runs `<save> -t nat` and returns its output. Errors: kExitIptables with iptables' message.
outcome<std::string> save_nat(const Programs& programs);

/// Feeds `rules` to `<restore> -w 5 --noflush`. Errors: kExitIptables with iptables' message
/// and the numbered input, so that "Error occurred at line: N" can be read against it.
outcome<void> restore(const Programs& programs, std::string_view rules);

}  // namespace weft::init
