// weft-proxy's configuration: every WEFT_PROXY_* environment variable parsed into one typed,
// immutable struct at startup. The environment is read through an injectable lookup so tests pass
// a map. Invalid values throw ConfigError naming the variable; main exits with code 64 (EX_USAGE).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
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

/// HTTP/2 settings for one side of the proxy. The server side (towards clients) advertises them in
/// its SETTINGS; the client side (towards endpoints) advertises the windows and header list size.
struct Http2Settings {
  std::uint32_t max_concurrent_streams = 1000;
  /// SETTINGS_MAX_HEADER_LIST_SIZE: at least 64 KiB by default so that large gRPC metadata and
  /// trailers pass (Linkerd's 16 KiB limit is a known pain point).
  std::uint32_t max_header_list_size = 64 * 1024;
  std::uint32_t initial_stream_window_size = 65535;
  std::uint32_t initial_connection_window_size = 1024 * 1024;
  /// PING every interval while the connection is open; close it when no PING ack arrives within
  /// the timeout. Zero interval: no keepalive PINGs.
  duration keep_alive_interval{};
  duration keep_alive_timeout{};
};

/// A balancer's queue: how many requests (or connections) may wait for a ready endpoint, and for
/// how long before failfast.
struct QueueConfig {
  std::size_t queue_capacity = 10000;
  duration failfast_timeout{3000};
};

/// Reconnect backoff towards an endpoint that refused: doubling from min to max, ±jitter.
struct BackoffConfig {
  duration min{100};
  duration max{60000};
  double jitter = 0.1;
};

/// The HTTP settings of one direction (inbound or outbound).
struct HttpConfig {
  /// A pooled, idle HTTP/1 connection to an endpoint is closed after this long. Below common
  /// application keep-alive timeouts (5 s and up), so the proxy closes first.
  duration http1_pool_idle_timeout{};
  std::size_t http1_max_idle_conns_per_endpoint = 10000;
  /// The HTTP/2 settings of this direction's server side (towards clients).
  Http2Settings h2_server;
};

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
  HttpConfig inbound_http;
  HttpConfig outbound_http;
  /// HTTP/2 client connections (towards endpoints), both directions.
  Http2Settings h2_client;
  /// Largest HTTP/1 request or response head (start line and fields); larger requests get 431.
  std::size_t http1_max_head_bytes = 64 * 1024;
  /// Metric series with no live reference and no update for this long are dropped on scrape.
  duration metrics_retain_idle{};
  /// WEFT_PROXY_DESTINATIONS: the destination file; empty for none.
  std::string destinations_path;
  /// WEFT_PROXY_IDENTITY_DIR: tls.crt, tls.key, ca.crt; empty for no mTLS.
  std::string identity_dir;
  /// WEFT_PROXY_IDENTITY_TRUST_ANCHORS: inline PEM or a path; empty for IDENTITY_DIR/ca.crt.
  std::string identity_trust_anchors;
  /// WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY.
  std::vector<PortRange> inbound_require_identity_ports;
  /// WEFT_PROXY_INBOUND_DEFAULT_POLICY=all-authenticated: every inbound port requires identity.
  bool inbound_require_identity_all = false;
  QueueConfig http_balancer;
  QueueConfig tcp_balancer;
  BackoffConfig connect_backoff;
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
