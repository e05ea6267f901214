// weft-proxy's configuration: every WEFT_PROXY_* environment variable parsed into one typed,
// immutable struct at startup. The environment is read through an injectable lookup so tests pass
// a map. Invalid values throw ConfigError naming the variable; main exits with code 64 (EX_USAGE).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "weft/core/parse.hpp"

namespace weft::core {

enum class LogFormat { plain, json };

struct ProxyConfig {
  boost::asio::ip::tcp::endpoint inbound_listen;
  /// One or two addresses: IPv4 loopback, and IPv6 loopback where the pod has IPv6.
  std::vector<boost::asio::ip::tcp::endpoint> outbound_listen;
  boost::asio::ip::tcp::endpoint admin_listen;
  duration inbound_connect_timeout{};
  duration outbound_connect_timeout{};
  duration tcp_idle_timeout{};
  /// A client that sends nothing for this long is forwarded as opaque TCP.
  duration inbound_detect_timeout{};
  duration outbound_detect_timeout{};
  /// Ports forwarded as opaque TCP with no protocol detection.
  std::vector<PortRange> inbound_opaque_ports;
  std::vector<PortRange> outbound_opaque_ports;
  duration shutdown_grace_period{};
  unsigned cores = 1;
  std::string log;
  LogFormat log_format = LogFormat::plain;
  /// When set, the listener forwards here instead of reading SO_ORIGINAL_DST.
  std::optional<boost::asio::ip::tcp::endpoint> inbound_orig_dst;
  std::optional<boost::asio::ip::tcp::endpoint> outbound_orig_dst;
};

/// One documented variable: the single source for parsing, `--help` and docs/config.md.
struct EnvVar {
  std::string_view name;
  std::string_view default_value;  // empty: unset by default
  std::string_view help;
};

/// Every variable weft-proxy reads, in the order `--help` lists them.
std::span<const EnvVar> proxy_env_vars() noexcept;

/// A bad value: `what()` is the message for the operator, `variable()` the variable's name.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string variable, const std::string& value, const std::string& expected);
  const std::string& variable() const noexcept { return variable_; }

 private:
  std::string variable_;
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// Reads the process environment.
EnvLookup process_env();

/// Parses every variable (defaults for unset ones). Throws ConfigError on the first bad value.
ProxyConfig load_proxy_config(const EnvLookup& env);

}  // namespace weft::core
