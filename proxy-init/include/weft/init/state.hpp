// What weft-init observes before it writes anything: whether its two chains exist and which
// PREROUTING/OUTPUT rules already jump to them, read from `<mode>-save -t nat` output. This is
// the only input besides InitConfig that the rule renderer (rules.hpp) takes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::init {

inline constexpr std::string_view kInboundChain = "PROXY_INIT_REDIRECT";
inline constexpr std::string_view kOutboundChain = "PROXY_INIT_OUTPUT";

/// weft-init's two jump rules, as iptables-save prints them (without "-A ").
inline constexpr std::string_view kPreroutingJump =
    "PREROUTING -m comment --comment \"weft-init/install-prerouting\" -j PROXY_INIT_REDIRECT";
inline constexpr std::string_view kOutputJump =
    "OUTPUT -m comment --comment \"weft-init/install-output\" -j PROXY_INIT_OUTPUT";

struct ExistingState {
  bool inbound_chain = false;   ///< PROXY_INIT_REDIRECT exists
  bool outbound_chain = false;  ///< PROXY_INIT_OUTPUT exists
  /// Rule specs as iptables-save prints them, without the leading "-A ", e.g.
  /// `PREROUTING -m comment --comment "weft-init/install-prerouting" -j PROXY_INIT_REDIRECT`.
  /// Any PREROUTING rule whose target is PROXY_INIT_REDIRECT counts (also one Linkerd's
  /// proxy-init wrote: same chain names), so weft-init never adds a second jump.
  std::vector<std::string> prerouting_jumps;
  /// OUTPUT rules whose target is PROXY_INIT_OUTPUT, in the same form.
  std::vector<std::string> output_jumps;

  friend bool operator==(const ExistingState&, const ExistingState&) = default;
};

/// Reads the nat table section of `iptables-save -t nat` (or `iptables-save`) output.
/// Never fails: lines it does not understand are ignored.
ExistingState parse_saved_nat(std::string_view save_output);

/// The state that a weft-init install leaves: both chains and weft-init's own two jumps. Used by
/// `--simulate --cleanup` when the current rules cannot be read (no privileges).
ExistingState installed_state();

}  // namespace weft::init
