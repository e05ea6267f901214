// The iptables rule set as a pure function of the configuration and the observed state, rendered
// as `iptables-restore --noflush` input (nat table, TCP only). main() feeds it to the runner; the
// unit tests compare it with golden files. Nothing here does I/O.
#pragma once

#include <string>
#include <vector>

#include "weft/core/parse.hpp"
#include "weft/init/options.hpp"
#include "weft/init/state.hpp"

namespace weft::init {

enum class Family { v4, v6 };

std::string_view to_string(Family family) noexcept;

/// The most "port slots" one multiport match takes (a kernel limit); a range uses two.
inline constexpr int kMultiportSlots = 15;

/// Ports weft-proxy's admin server and Linkerd's policy listener use: never redirected inbound.
inline constexpr std::uint16_t kAlwaysIgnoredInboundPorts[] = {4190, 4191};

/// Splits ports into groups that each fit one multiport match, keeping their order.
std::vector<std::vector<core::PortRange>> split_multiport(
    const std::vector<core::PortRange>& ports);

/// The inbound ports to ignore: 4190 and 4191 first unless already covered, then the configured
/// ones, without repeats.
std::vector<core::PortRange> effective_inbound_ignores(const InitConfig& config);

/// The restore input that installs (or refreshes) weft-init's chains for one address family.
/// Both chains are declared `:NAME - [0:0]`, which creates them or flushes an existing one; the
/// PREROUTING and OUTPUT jumps are appended only when `existing` shows none. Subnets of the other
/// family are left out. Every rule carries a `weft-init/...` comment.
std::string render_rules(const InitConfig& config, Family family, const ExistingState& existing);

/// The restore input that removes what weft-init installed: `-D` for each jump that exists, then
/// `-F` and `-X` for each chain that exists. Empty when there is nothing to remove.
std::string render_cleanup(const ExistingState& existing);

}  // namespace weft::init
