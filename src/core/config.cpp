#include "weft/core/config.hpp"

#include <cstdlib>
#include <thread>

#include "weft/core/log.hpp"

namespace weft::core {
namespace {

constexpr EnvVar kVars[] = {
    {"WEFT_PROXY_INBOUND_LISTEN_ADDR", "0.0.0.0:4143",
     "Inbound listener: all TCP redirected into the pod. Port 0 lets the kernel choose."},
    {"WEFT_PROXY_OUTBOUND_LISTEN_ADDR", "127.0.0.1:4140",
     "Outbound listener: all TCP the application sends out of the pod."},
    {"WEFT_PROXY_OUTBOUND_LISTEN_ADDRS", "",
     "If set, replaces OUTBOUND_LISTEN_ADDR with one or two comma-separated addresses, e.g. "
     "127.0.0.1:4140,[::1]:4140 for a dual-stack pod."},
    {"WEFT_PROXY_ADMIN_LISTEN_ADDR", "0.0.0.0:4191", "Admin server: /metrics, /ready, /live."},
    {"WEFT_PROXY_INBOUND_CONNECT_TIMEOUT", "300ms", "Time to connect to the local application."},
    {"WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT", "1s", "Time to connect to a remote endpoint."},
    {"WEFT_PROXY_INBOUND_DETECT_TIMEOUT", "10s",
     "How long an inbound connection may take to send its first bytes before it is treated as "
     "opaque TCP."},
    {"WEFT_PROXY_OUTBOUND_DETECT_TIMEOUT", "10s",
     "How long an outbound connection may take to send its first bytes before it is treated as "
     "opaque TCP."},
    {"WEFT_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", "",
     "Inbound ports (and a-b ranges) forwarded as opaque TCP at once, with no detection."},
    {"WEFT_PROXY_OUTBOUND_PORTS_DISABLE_PROTOCOL_DETECTION",
     "25,587,3306,4444,5432,6379,9300,11211",
     "Outbound ports (and a-b ranges) forwarded as opaque TCP at once: server-speaks-first "
     "protocols such as SMTP, MySQL and Memcached must be listed here."},
    {"WEFT_PROXY_TCP_IDLE_TIMEOUT", "1h",
     "A proxied connection with no bytes in either direction for this long is closed."},
    {"WEFT_PROXY_SHUTDOWN_GRACE_PERIOD", "2m",
     "After SIGTERM/SIGINT, how long open connections may finish before the proxy exits."},
    {"WEFT_PROXY_CORES", "1",
     "Worker threads, each with its own event loop and listeners (1-1024)."},
    {"WEFT_PROXY_LOG", "warn,weft=info",
     "Log filter: a level (trace|debug|info|warn|error|off), optionally with weft=<level>."},
    {"WEFT_PROXY_LOG_FORMAT", "plain", "Log format: plain or json."},
    {"WEFT_PROXY_INBOUND_ORIG_DST_ADDR", "",
     "If set, inbound connections go here instead of their SO_ORIGINAL_DST (no iptables needed)."},
    {"WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR", "",
     "If set, outbound connections go here instead of their SO_ORIGINAL_DST (no iptables needed)."},
};

class Reader {
 public:
  explicit Reader(const EnvLookup& env) : env_(env) {}

  /// The variable's value, or its documented default.
  std::string raw(std::string_view name) const {
    if (auto v = env_(name)) return *v;
    for (const auto& var : kVars) {
      if (var.name == name) return std::string(var.default_value);
    }
    return {};
  }

  template <class Parse>
  auto get(std::string_view name, Parse parse, const char* expected) const {
    const auto text = raw(name);
    auto parsed = parse(text);
    if (!parsed) throw ConfigError(std::string(name), text, expected);
    return *parsed;
  }

 private:
  const EnvLookup& env_;
};

// One or two addresses, as Linkerd's LINKERD2_PROXY_OUTBOUND_LISTEN_ADDRS.
std::vector<boost::asio::ip::tcp::endpoint> parse_listen_list(const std::string& text) {
  std::vector<boost::asio::ip::tcp::endpoint> addrs;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    auto addr = parse_socket_addr(rest.substr(0, comma));
    if (!addr) break;
    addrs.push_back(*addr);
    if (comma == std::string_view::npos) {
      if (addrs.size() <= 2) return addrs;
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  throw ConfigError("WEFT_PROXY_OUTBOUND_LISTEN_ADDRS", text,
                    "one or two addresses, such as 127.0.0.1:4140,[::1]:4140");
}

}  // namespace

std::span<const EnvVar> proxy_env_vars() noexcept { return kVars; }

ConfigError::ConfigError(std::string variable, const std::string& value,
                         const std::string& expected)
    : std::runtime_error(variable + "=\"" + value + "\" is not valid: expected " + expected),
      variable_(std::move(variable)) {}

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

ProxyConfig load_proxy_config(const EnvLookup& env) {
  const Reader r(env);
  constexpr const char* kAddr = "an address such as 0.0.0.0:4143 or [::]:4143";
  constexpr const char* kDuration = "a duration with a unit, such as 100ms, 10s, 2m";
  ProxyConfig c;
  c.inbound_listen = r.get("WEFT_PROXY_INBOUND_LISTEN_ADDR", parse_socket_addr, kAddr);
  c.outbound_listen = {r.get("WEFT_PROXY_OUTBOUND_LISTEN_ADDR", parse_socket_addr, kAddr)};
  if (auto list = env("WEFT_PROXY_OUTBOUND_LISTEN_ADDRS"); list && !list->empty()) {
    c.outbound_listen = parse_listen_list(*list);
  }
  c.admin_listen = r.get("WEFT_PROXY_ADMIN_LISTEN_ADDR", parse_socket_addr, kAddr);
  c.inbound_connect_timeout =
      r.get("WEFT_PROXY_INBOUND_CONNECT_TIMEOUT", parse_duration, kDuration);
  c.outbound_connect_timeout =
      r.get("WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT", parse_duration, kDuration);
  c.tcp_idle_timeout = r.get("WEFT_PROXY_TCP_IDLE_TIMEOUT", parse_duration, kDuration);
  c.inbound_detect_timeout = r.get("WEFT_PROXY_INBOUND_DETECT_TIMEOUT", parse_duration, kDuration);
  c.outbound_detect_timeout =
      r.get("WEFT_PROXY_OUTBOUND_DETECT_TIMEOUT", parse_duration, kDuration);
  constexpr const char* kPorts = "comma-separated ports or ranges, such as 25,3306,4567-4568";
  c.inbound_opaque_ports =
      r.get("WEFT_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", parse_port_ranges, kPorts);
  c.outbound_opaque_ports =
      r.get("WEFT_PROXY_OUTBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", parse_port_ranges, kPorts);
  c.shutdown_grace_period = r.get("WEFT_PROXY_SHUTDOWN_GRACE_PERIOD", parse_duration, kDuration);
  for (auto* d : {&c.inbound_connect_timeout, &c.outbound_connect_timeout, &c.tcp_idle_timeout}) {
    if (d->count() == 0) {
      const char* name = d == &c.tcp_idle_timeout          ? "WEFT_PROXY_TCP_IDLE_TIMEOUT"
                         : d == &c.inbound_connect_timeout ? "WEFT_PROXY_INBOUND_CONNECT_TIMEOUT"
                                                           : "WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT";
      throw ConfigError(name, "0", "a duration greater than zero");
    }
  }
  c.cores = static_cast<unsigned>(r.get(
      "WEFT_PROXY_CORES", [](std::string_view s) { return parse_uint(s, 1, 1024); },
      "a whole number of cores from 1 to 1024"));
  c.log = r.raw("WEFT_PROXY_LOG");
  if (!parse_log_filter(c.log)) {
    throw ConfigError("WEFT_PROXY_LOG", c.log,
                      "a level (trace|debug|info|warn|error|off), e.g. warn,weft=info");
  }
  const auto format = r.raw("WEFT_PROXY_LOG_FORMAT");
  if (format == "plain")
    c.log_format = LogFormat::plain;
  else if (format == "json")
    c.log_format = LogFormat::json;
  else
    throw ConfigError("WEFT_PROXY_LOG_FORMAT", format, "plain or json");
  for (auto [name, slot] : {std::pair{"WEFT_PROXY_INBOUND_ORIG_DST_ADDR", &c.inbound_orig_dst},
                            std::pair{"WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR", &c.outbound_orig_dst}}) {
    if (auto v = env(name); v && !v->empty()) {
      auto addr = parse_socket_addr(*v);
      if (!addr || addr->port() == 0 || addr->address().is_unspecified()) {
        throw ConfigError(name, *v, "a concrete address such as 10.0.0.7:8080");
      }
      *slot = *addr;
    }
  }
  return c;
}

}  // namespace weft::core
