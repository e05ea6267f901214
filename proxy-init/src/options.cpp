#include "weft/init/options.hpp"

#include <algorithm>
#include <array>

namespace weft::init {
namespace {

enum class FlagId {
  incoming_proxy_port,
  outgoing_proxy_port,
  proxy_uid,
  proxy_gid,
  inbound_ports_to_ignore,
  outbound_ports_to_ignore,
  subnets_to_ignore,
  iptables_mode,
  ipv6,
  simulate,
  cleanup,
  netns,
  help,
  version,
};

enum class Kind { value, boolean, action };

struct Flag {
  FlagId id;
  std::string_view name;
  char short_name;  // '\0' when there is none
  Kind kind;
};

constexpr std::array kFlags{
    Flag{FlagId::incoming_proxy_port, "incoming-proxy-port", 'p', Kind::value},
    Flag{FlagId::outgoing_proxy_port, "outgoing-proxy-port", 'o', Kind::value},
    Flag{FlagId::proxy_uid, "proxy-uid", 'u', Kind::value},
    Flag{FlagId::proxy_gid, "proxy-gid", 'g', Kind::value},
    Flag{FlagId::inbound_ports_to_ignore, "inbound-ports-to-ignore", '\0', Kind::value},
    Flag{FlagId::outbound_ports_to_ignore, "outbound-ports-to-ignore", '\0', Kind::value},
    Flag{FlagId::subnets_to_ignore, "subnets-to-ignore", '\0', Kind::value},
    Flag{FlagId::iptables_mode, "iptables-mode", '\0', Kind::value},
    Flag{FlagId::ipv6, "ipv6", '\0', Kind::boolean},
    Flag{FlagId::simulate, "simulate", '\0', Kind::boolean},
    Flag{FlagId::cleanup, "cleanup", '\0', Kind::boolean},
    Flag{FlagId::netns, "netns", '\0', Kind::value},
    Flag{FlagId::help, "help", 'h', Kind::action},
    Flag{FlagId::version, "version", '\0', Kind::action},
};

// The largest UID/GID; (uid_t)-1 means "no change" to the kernel and cannot own a socket.
constexpr std::uint64_t kMaxId = 4294967294ULL;

Failure usage_error(std::string message) {
  return {kExitUsage, std::move(message) + " (see weft-init --help)"};
}

/// `--name`, or `-p (--name)` when the user typed the short form: errors name the flag as written.
std::string display_name(const Flag& flag, bool used_short) {
  if (used_short) return std::string("-") + flag.short_name + " (--" + std::string(flag.name) + ")";
  return "--" + std::string(flag.name);
}

Failure bad_value(const std::string& flag, std::string_view value, std::string_view expected) {
  return usage_error("invalid value \"" + std::string(value) + "\" for " + flag + ": expected " +
                     std::string(expected));
}

/// The first comma-separated item that `parse` rejects, so that the error can point at it.
template <class Parse>
std::string_view first_bad_item(std::string_view text, Parse parse) {
  while (true) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    if (!parse(item)) return item;
    if (comma == std::string_view::npos) return text;
    text.remove_prefix(comma + 1);
  }
}

outcome<std::vector<core::PortRange>> parse_ports_flag(const std::string& flag,
                                                       std::string_view value) {
  auto ports = core::parse_port_ranges(value);
  if (ports) return *ports;
  const auto bad = first_bad_item(
      value, [](std::string_view item) { return core::parse_port_ranges(item).has_value(); });
  return bad_value(flag, value,
                   "comma-separated ports 1-65535 or ranges like 4567-4568 (bad item \"" +
                       std::string(bad) + "\")");
}

outcome<std::vector<core::Cidr>> parse_cidrs_flag(const std::string& flag, std::string_view value) {
  auto cidrs = core::parse_cidrs(value);
  if (cidrs) return *cidrs;
  const auto bad = first_bad_item(
      value, [](std::string_view item) { return core::parse_cidr(item).has_value(); });
  return bad_value(
      flag, value,
      "comma-separated CIDRs like 10.0.0.0/8 or fd00::/8 (bad item \"" + std::string(bad) + "\")");
}

outcome<IptablesMode> parse_mode(const std::string& flag, std::string_view value) {
  if (value == "nft") return IptablesMode::nft;
  if (value == "legacy") return IptablesMode::legacy;
  if (value == "plain") return IptablesMode::plain;
  return bad_value(flag, value, "nft, legacy or plain");
}

template <class T>
void append(std::vector<T>& to, const std::vector<T>& items) {
  to.insert(to.end(), items.begin(), items.end());
}

/// Stores one flag's value into the config.
outcome<void> apply_value(const Flag& flag, const std::string& shown, std::string_view value,
                          InitConfig& config) {
  switch (flag.id) {
    case FlagId::incoming_proxy_port:
    case FlagId::outgoing_proxy_port: {
      auto port = core::parse_uint(value, 1, 65535);
      if (!port) return bad_value(shown, value, "a port number 1-65535");
      auto& field = flag.id == FlagId::incoming_proxy_port ? config.incoming_proxy_port
                                                           : config.outgoing_proxy_port;
      field = static_cast<std::uint16_t>(*port);
      return {};
    }
    case FlagId::proxy_uid:
    case FlagId::proxy_gid: {
      auto id = core::parse_uint(value, 0, kMaxId);
      if (!id) return bad_value(shown, value, "a number 0-4294967294");
      if (flag.id == FlagId::proxy_uid)
        config.proxy_uid = static_cast<std::uint32_t>(*id);
      else
        config.proxy_gid = static_cast<std::uint32_t>(*id);
      return {};
    }
    case FlagId::inbound_ports_to_ignore:
    case FlagId::outbound_ports_to_ignore: {
      auto ports = parse_ports_flag(shown, value);
      if (!ports) return ports.error();
      append(flag.id == FlagId::inbound_ports_to_ignore ? config.inbound_ports_to_ignore
                                                        : config.outbound_ports_to_ignore,
             *ports);
      return {};
    }
    case FlagId::subnets_to_ignore: {
      auto cidrs = parse_cidrs_flag(shown, value);
      if (!cidrs) return cidrs.error();
      append(config.subnets_to_ignore, *cidrs);
      return {};
    }
    case FlagId::iptables_mode: {
      auto mode = parse_mode(shown, value);
      if (!mode) return mode.error();
      config.mode = *mode;
      return {};
    }
    case FlagId::netns:
      if (value.empty())
        return bad_value(shown, value, "a path such as /run/netns/NAME or /proc/PID/ns/net");
      config.netns = std::string(value);
      return {};
    default: return usage_error("internal error: " + shown + " is not a value flag");
  }
}

outcome<void> apply_bool(const Flag& flag, const std::string& shown, std::string_view value,
                         InitConfig& config) {
  auto on = core::parse_bool(value);
  if (!on) return bad_value(shown, value, "true or false");
  if (flag.id == FlagId::ipv6)
    config.ipv6 = *on;
  else if (flag.id == FlagId::simulate)
    config.simulate = *on;
  else
    config.cleanup = *on;
  return {};
}

const Flag* find_long(std::string_view name) {
  const auto it =
      std::find_if(kFlags.begin(), kFlags.end(), [&](const Flag& f) { return f.name == name; });
  return it == kFlags.end() ? nullptr : &*it;
}

const Flag* find_short(char name) {
  const auto it = std::find_if(kFlags.begin(), kFlags.end(),
                               [&](const Flag& f) { return f.short_name == name; });
  return it == kFlags.end() ? nullptr : &*it;
}

/// One argument split into the flag it names and the value written inside it, if any.
struct Spelled {
  const Flag* flag = nullptr;
  bool used_short = false;
  std::optional<std::string_view> inline_value;
};

outcome<Spelled> spell(std::string_view arg) {
  if (arg.size() > 2 && arg.starts_with("--")) {
    const auto body = arg.substr(2);
    const auto eq = body.find('=');
    Spelled s{find_long(body.substr(0, eq)), false, std::nullopt};
    if (eq != std::string_view::npos) s.inline_value = body.substr(eq + 1);
    if (s.flag == nullptr) return usage_error("unknown flag --" + std::string(body.substr(0, eq)));
    return s;
  }
  if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
    Spelled s{find_short(arg[1]), true, std::nullopt};
    if (s.flag == nullptr) return usage_error("unknown flag -" + std::string(1, arg[1]));
    if (arg.size() > 2) s.inline_value = arg.substr(arg[2] == '=' ? 3 : 2);
    return s;
  }
  return usage_error("unexpected argument \"" + std::string(arg) +
                     "\"; weft-init takes only flags");
}

}  // namespace

std::string_view to_string(IptablesMode mode) noexcept {
  switch (mode) {
    case IptablesMode::nft: return "nft";
    case IptablesMode::legacy: return "legacy";
    case IptablesMode::plain: return "plain";
  }
  return "unknown";
}

outcome<Invocation> parse_args(std::span<const std::string_view> args) {
  Invocation invocation;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto spelled = spell(args[i]);
    if (!spelled) return spelled.error();
    const Flag& flag = *spelled->flag;
    const auto shown = display_name(flag, spelled->used_short);
    outcome<void> applied;
    if (flag.kind == Kind::action) {
      if (spelled->inline_value) return usage_error(shown + " takes no value");
      invocation.action = flag.id == FlagId::help ? Action::help : Action::version;
      continue;
    }
    if (flag.kind == Kind::boolean) {
      // A following true/false belongs to the flag: weft-init has no positional arguments.
      auto value = spelled->inline_value;
      if (!value && i + 1 < args.size() && core::parse_bool(args[i + 1])) value = args[++i];
      applied = apply_bool(flag, shown, value.value_or("true"), invocation.config);
    } else {
      auto value = spelled->inline_value;
      if (!value) {
        if (i + 1 >= args.size()) return usage_error(shown + " needs a value");
        value = args[++i];
      }
      applied = apply_value(flag, shown, *value, invocation.config);
    }
    if (!applied) return applied.error();
  }
  return invocation;
}

std::string usage() {
  return R"(weft-init: write the iptables rules that send a pod's TCP traffic through weft-proxy.

Usage: weft-init [flags]

  -p, --incoming-proxy-port PORT   inbound traffic is redirected here (default 4143)
  -o, --outgoing-proxy-port PORT   outbound traffic is redirected here (default 4140)
  -u, --proxy-uid UID              outbound traffic of this user is not redirected (default 2102; 0: no rule)
  -g, --proxy-gid GID              outbound traffic of this group is not redirected (default: unset)
      --inbound-ports-to-ignore LIST   ports/ranges not redirected inbound, e.g. 4567,4568,9000-9100
                                       (4190 and 4191 are always ignored)
      --outbound-ports-to-ignore LIST  ports/ranges not redirected outbound, e.g. 443,6443
      --subnets-to-ignore CIDRS        not redirected in either direction: inbound from them,
                                       outbound to them, e.g. 10.0.0.0/8,fd00::/8
      --iptables-mode MODE         nft (default), legacy or plain: which iptables binaries to use
      --ipv6[=true|false]          also write the IPv6 rules with ip6tables (default true)
      --netns PATH                 enter this network namespace first (/run/netns/NAME, /proc/PID/ns/net)
      --simulate                   print the rules that would be applied; change nothing
      --cleanup                    remove what weft-init installed (two jumps, two chains), nothing else
  -h, --help                       show this help
      --version                    show the version

Flags take `--flag value` or `--flag=value`; list flags given twice are joined.
Needs CAP_NET_ADMIN (and CAP_NET_RAW with --iptables-mode legacy) unless --simulate is given.
Exit status: 0 ok, 1 iptables failed, 64 bad flag, 66 bad --netns path, 69 iptables binaries
missing, 71 system call failed, 77 missing capability.
)";
}

}  // namespace weft::init
