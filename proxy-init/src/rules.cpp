#include "weft/init/rules.hpp"

#include <algorithm>

namespace weft::init {
namespace {

int slots(const core::PortRange& r) { return r.first == r.last ? 1 : 2; }

/// "4190,4191,4567:4568" for iptables, or "4190,4191,4567-4568" (separator '-') for a comment.
std::string join_ports(const std::vector<core::PortRange>& ports, char range_separator) {
  std::string out;
  for (const auto& r : ports) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.first != r.last) out += range_separator + std::to_string(r.last);
  }
  return out;
}

template <class T>
std::vector<T> without_repeats(const std::vector<T>& items) {
  std::vector<T> out;
  for (const auto& item : items) {
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  return out;
}

/// Appends one rule: "-A CHAIN MATCH -m comment --comment "weft-init/COMMENT" -j TARGET". The
/// order is the one iptables-save prints, so the rendered lines read like the saved ones.
void rule(std::string& out, std::string_view chain, std::string_view match,
          std::string_view comment, std::string_view target) {
  out += "-A ";
  out += chain;
  if (!match.empty()) {
    out += ' ';
    out += match;
  }
  out += " -m comment --comment \"weft-init/";
  out += comment;
  out += "\" -j ";
  out += target;
  out += '\n';
}

void ignore_ports(std::string& out, std::string_view chain,
                  const std::vector<core::PortRange>& ports) {
  for (const auto& group : split_multiport(ports)) {
    rule(out, chain, "-p tcp -m multiport --dports " + join_ports(group, ':'),
         "ignore-port-" + join_ports(group, '-'), "RETURN");
  }
}

/// One RETURN per subnet of this family; `direction` is "-s" inbound and "-d" outbound.
void ignore_subnets(std::string& out, std::string_view chain, std::string_view direction,
                    const std::vector<core::Cidr>& subnets, Family family) {
  for (const auto& cidr : without_repeats(subnets)) {
    if (cidr.is_v4() != (family == Family::v4)) continue;
    const auto text = cidr.to_string();
    rule(out, chain, std::string(direction) + " " + text, "ignore-subnet-" + text, "RETURN");
  }
}

void inbound_chain(std::string& out, const InitConfig& config, Family family) {
  ignore_ports(out, kInboundChain, effective_inbound_ignores(config));
  ignore_subnets(out, kInboundChain, "-s", config.subnets_to_ignore, family);
  rule(out, kInboundChain, "-p tcp", "redirect-all-incoming-to-proxy-port",
       "REDIRECT --to-ports " + std::to_string(config.incoming_proxy_port));
}

void outbound_chain(std::string& out, const InitConfig& config, Family family) {
  if (config.proxy_uid > 0) {
    rule(out, kOutboundChain, "-m owner --uid-owner " + std::to_string(config.proxy_uid),
         "ignore-proxy-user-id", "RETURN");
  }
  if (config.proxy_gid) {
    rule(out, kOutboundChain, "-m owner --gid-owner " + std::to_string(*config.proxy_gid),
         "ignore-proxy-group-id", "RETURN");
  }
  rule(out, kOutboundChain, "-o lo", "ignore-loopback", "RETURN");
  ignore_ports(out, kOutboundChain, without_repeats(config.outbound_ports_to_ignore));
  // Linkerd skips subnets inbound only; weft skips them both ways (docs/weft-init.md says why).
  ignore_subnets(out, kOutboundChain, "-d", config.subnets_to_ignore, family);
  rule(out, kOutboundChain, "-p tcp", "redirect-all-outgoing-to-proxy-port",
       "REDIRECT --to-ports " + std::to_string(config.outgoing_proxy_port));
}

}  // namespace

std::string_view to_string(Family family) noexcept {
  return family == Family::v4 ? "IPv4" : "IPv6";
}

std::vector<std::vector<core::PortRange>> split_multiport(
    const std::vector<core::PortRange>& ports) {
  std::vector<std::vector<core::PortRange>> groups;
  int used = kMultiportSlots;  // forces a new group for the first port
  for (const auto& r : ports) {
    if (used + slots(r) > kMultiportSlots) {
      groups.emplace_back();
      used = 0;
    }
    groups.back().push_back(r);
    used += slots(r);
  }
  return groups;
}

std::vector<core::PortRange> effective_inbound_ignores(const InitConfig& config) {
  std::vector<core::PortRange> ports;
  for (const auto port : kAlwaysIgnoredInboundPorts) {
    if (!core::contains_port(config.inbound_ports_to_ignore, port)) ports.push_back({port, port});
  }
  ports.insert(ports.end(), config.inbound_ports_to_ignore.begin(),
               config.inbound_ports_to_ignore.end());
  return without_repeats(ports);
}

std::string render_rules(const InitConfig& config, Family family, const ExistingState& existing) {
  std::string out = "*nat\n";
  out += ":" + std::string(kInboundChain) + " - [0:0]\n";
  out += ":" + std::string(kOutboundChain) + " - [0:0]\n";
  inbound_chain(out, config, family);
  if (existing.prerouting_jumps.empty()) out += "-A " + std::string(kPreroutingJump) + "\n";
  outbound_chain(out, config, family);
  if (existing.output_jumps.empty()) out += "-A " + std::string(kOutputJump) + "\n";
  out += "COMMIT\n";
  return out;
}

std::string render_cleanup(const ExistingState& existing) {
  std::string body;
  for (const auto& spec : existing.prerouting_jumps) body += "-D " + spec + "\n";
  for (const auto& spec : existing.output_jumps) body += "-D " + spec + "\n";
  for (const auto& [exists, chain] : {std::pair{existing.inbound_chain, kInboundChain},
                                      std::pair{existing.outbound_chain, kOutboundChain}}) {
    if (!exists) continue;
    body += "-F " + std::string(chain) + "\n";
    body += "-X " + std::string(chain) + "\n";
  }
  if (body.empty()) return body;
  return "*nat\n" + body + "COMMIT\n";
}

}  // namespace weft::init
