// weft-init's command line: Linkerd proxy-init's flag names turned into an InitConfig, the one
// value that the rule renderer (rules.hpp) and the runner (runner.hpp) work from. Called by main().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/core/parse.hpp"
#include "weft/init/failure.hpp"

namespace weft::init {

/// Which iptables binaries apply the rules: iptables-nft-*, iptables-legacy-* or plain iptables-*.
enum class IptablesMode { nft, legacy, plain };

std::string_view to_string(IptablesMode mode) noexcept;

/// What weft-init should do. Defaults are Linkerd's chart values and weft-proxy's ports.
struct InitConfig {
  std::uint16_t incoming_proxy_port = 4143;
  std::uint16_t outgoing_proxy_port = 4140;
  /// Outbound traffic of this UID is not redirected (0 means "add no owner rule", as in Linkerd).
  std::uint32_t proxy_uid = 2102;
  /// Outbound traffic of this GID is not redirected; unset means no group rule.
  std::optional<std::uint32_t> proxy_gid;
  /// As given; the renderer always adds the admin ports 4190 and 4191.
  std::vector<core::PortRange> inbound_ports_to_ignore;
  std::vector<core::PortRange> outbound_ports_to_ignore;
  /// Skipped both ways: as source inbound and as destination outbound.
  std::vector<core::Cidr> subnets_to_ignore;
  IptablesMode mode = IptablesMode::nft;
  bool ipv6 = true;
  bool simulate = false;
  bool cleanup = false;
  /// Network namespace to enter (e.g. /run/netns/NAME or /proc/PID/ns/net); empty means the current
  /// one.
  std::string netns;
};

enum class Action { run, help, version };

struct Invocation {
  Action action = Action::run;
  InitConfig config;
};

/// Parses argv[1..] (without the program name). Accepts `--flag value`, `--flag=value`, `-p 4143`,
/// `-p=4143` and `-p4143`; boolean flags take an optional value (`--ipv6`, `--ipv6=false`,
/// `--ipv6 false`); list flags given twice append. Errors: a Failure with kExitUsage whose message
/// names the flag and says what was expected.
outcome<Invocation> parse_args(std::span<const std::string_view> args);

/// The --help text.
std::string usage();

}  // namespace weft::init
