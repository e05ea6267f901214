#include "weft/core/config.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
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
    {"WEFT_PROXY_METRICS_RETAIN_IDLE", "10m",
     "HTTP and TCP metric series with no live reference that have not changed for this long are "
     "dropped from /metrics."},
    {"WEFT_PROXY_HTTP1_MAX_HEAD_BYTES", "65536",
     "Largest HTTP/1 message head (start line and fields) in bytes; a larger request gets 431."},
    {"WEFT_PROXY_INBOUND_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", "3s",
     "An idle pooled HTTP/1 connection to the application is closed after this long."},
    {"WEFT_PROXY_OUTBOUND_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", "3s",
     "An idle pooled HTTP/1 connection to a remote endpoint is closed after this long."},
    {"WEFT_PROXY_INBOUND_MAX_IDLE_CONNS_PER_ENDPOINT", "10000",
     "Idle HTTP/1 connections kept per application endpoint (0 disables pooling)."},
    {"WEFT_PROXY_OUTBOUND_MAX_IDLE_CONNS_PER_ENDPOINT", "10000",
     "Idle HTTP/1 connections kept per remote endpoint (0 disables pooling)."},
    {"WEFT_PROXY_INBOUND_SERVER_HTTP2_MAX_CONCURRENT_STREAMS", "1000",
     "Concurrent HTTP/2 streams one inbound client connection may open."},
    {"WEFT_PROXY_INBOUND_SERVER_HTTP2_MAX_HEADER_LIST_SIZE", "65536",
     "Largest HTTP/2 header list (bytes, as RFC 9113 counts them) an inbound client may send."},
    {"WEFT_PROXY_INBOUND_SERVER_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "65535",
     "HTTP/2 flow-control window of each inbound client stream: what the proxy buffers per stream."},
    {"WEFT_PROXY_INBOUND_SERVER_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "1048576",
     "HTTP/2 flow-control window of each inbound client connection."},
    {"WEFT_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL", "10s",
     "PING inbound HTTP/2 clients this often (0s: never)."},
    {"WEFT_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT", "3s",
     "Close an inbound HTTP/2 client connection whose PING is not answered in this time."},
    {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_MAX_CONCURRENT_STREAMS", "1000",
     "Concurrent HTTP/2 streams one outbound client connection may open."},
    {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_MAX_HEADER_LIST_SIZE", "65536",
     "Largest HTTP/2 header list (bytes, as RFC 9113 counts them) an outbound client may send."},
    {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "65535",
     "HTTP/2 flow-control window of each outbound client stream: what the proxy buffers per stream."},
    {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "1048576",
     "HTTP/2 flow-control window of each outbound client connection."},
    {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL", "10s",
     "PING outbound HTTP/2 clients this often (0s: never)."},
    {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT", "3s",
     "Close an outbound HTTP/2 client connection whose PING is not answered in this time."},
    {"WEFT_PROXY_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "65535",
     "HTTP/2 flow-control window of each stream on connections to endpoints."},
    {"WEFT_PROXY_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "1048576",
     "HTTP/2 flow-control window of each connection to an endpoint."},
    {"WEFT_PROXY_HTTP2_KEEP_ALIVE_INTERVAL", "0s",
     "PING HTTP/2 endpoints this often (0s: never, so gRPC servers never answer too_many_pings)."},
    {"WEFT_PROXY_HTTP2_KEEP_ALIVE_TIMEOUT", "3s",
     "Close an HTTP/2 endpoint connection whose PING is not answered in this time."},
    {"WEFT_PROXY_DESTINATIONS", "",
     "A destination file (YAML or JSON, format in docs/config.md): services, their virtual "
     "addresses, endpoints and routes. Re-read within 2 s of a change; a bad file keeps the last "
     "good table. Unset: outbound traffic goes to its original destination."},
    {"WEFT_PROXY_IDENTITY_DIR", "",
     "Directory with this pod's identity: tls.crt (leaf, then intermediates; one URI SAN, the "
     "SPIFFE ID spiffe://<trust-domain>/ns/<ns>/sa/<sa>), tls.key and ca.crt, as "
     "csi-driver-spiffe writes them. Re-read within 2 s of a change. Unset: no mTLS."},
    {"WEFT_PROXY_IDENTITY_TRUST_ANCHORS", "",
     "Trust anchors (a PEM bundle inline, or the path of one) instead of IDENTITY_DIR/ca.crt."},
    {"WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY", "",
     "Inbound ports (and a-b ranges) that take only mTLS clients with a verified identity."},
    {"WEFT_PROXY_INBOUND_DEFAULT_POLICY", "all-unauthenticated",
     "all-unauthenticated: any client; all-authenticated: every inbound port as REQUIRE_IDENTITY."},
    {"WEFT_PROXY_OUTBOUND_HTTP_QUEUE_CAPACITY", "10000",
     "Requests that may wait for a ready endpoint of one service; more are shed with 503."},
    {"WEFT_PROXY_OUTBOUND_HTTP_FAILFAST_TIMEOUT", "3s",
     "How long a request waits for a ready endpoint before failfast (504) sets in."},
    {"WEFT_PROXY_OUTBOUND_TCP_QUEUE_CAPACITY", "10000",
     "Opaque connections that may wait for a ready endpoint of one service; more are refused."},
    {"WEFT_PROXY_OUTBOUND_TCP_FAILFAST_TIMEOUT", "3s",
     "How long an opaque connection waits for a ready endpoint before it is refused."},
    {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MIN", "100ms",
     "First wait before reconnecting to an endpoint that refused; doubles per failure."},
    {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MAX", "60s", "Longest reconnect wait."},
    {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_JITTER", "0.1",
     "Fraction (0 to 1) of each reconnect wait that is random."},
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

// Settings values are 31-bit in RFC 9113; a window must be at least the protocol default.
Http2Settings read_h2(const Reader& r, const std::string& prefix, bool server) {
  constexpr const char* kDuration = "a duration with a unit, such as 100ms, 10s, 2m";
  const auto u32 = [&](const char* suffix, std::uint64_t min, std::uint64_t max) {
    const auto name = prefix + suffix;
    const auto expected = fmt::format("a whole number from {} to {}", min, max);
    return static_cast<std::uint32_t>(
        r.get(name, [&](std::string_view s) { return parse_uint(s, min, max); }, expected.c_str()));
  };
  constexpr std::uint64_t kMaxWindow = (1U << 31) - 1;
  Http2Settings h;
  if (server) {
    h.max_concurrent_streams = u32("MAX_CONCURRENT_STREAMS", 1, 1U << 20);
    h.max_header_list_size = u32("MAX_HEADER_LIST_SIZE", 4096, 16U << 20);
  }
  h.initial_stream_window_size = u32("INITIAL_STREAM_WINDOW_SIZE", 65535, kMaxWindow);
  h.initial_connection_window_size = u32("INITIAL_CONNECTION_WINDOW_SIZE", 65535, kMaxWindow);
  h.keep_alive_interval = r.get(prefix + "KEEP_ALIVE_INTERVAL", parse_duration, kDuration);
  h.keep_alive_timeout = r.get(prefix + "KEEP_ALIVE_TIMEOUT", parse_duration, kDuration);
  if (h.keep_alive_interval.count() > 0 && h.keep_alive_timeout.count() == 0) {
    throw ConfigError(prefix + "KEEP_ALIVE_TIMEOUT", "0",
                      "a duration greater than zero when the keep-alive interval is set");
  }
  return h;
}

// A balancer's queue, for "HTTP" or "TCP" outbound.
QueueConfig read_queue(const Reader& r, std::string_view protocol) {
  constexpr const char* kDuration = "a duration with a unit, such as 100ms, 10s, 2m";
  QueueConfig q;
  q.queue_capacity = r.get(
      fmt::format("WEFT_PROXY_OUTBOUND_{}_QUEUE_CAPACITY", protocol),
      [](std::string_view s) { return parse_uint(s, 1, 1U << 24); },
      "a whole number from 1 to 16777216");
  q.failfast_timeout = r.get(fmt::format("WEFT_PROXY_OUTBOUND_{}_FAILFAST_TIMEOUT", protocol),
                             parse_duration, kDuration);
  return q;
}

HttpConfig read_http(const Reader& r, std::string_view direction) {
  constexpr const char* kDuration = "a duration with a unit, such as 100ms, 10s, 2m";
  HttpConfig h;
  h.http1_pool_idle_timeout = r.get(
      fmt::format("WEFT_PROXY_{}_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", direction), parse_duration,
      kDuration);
  h.http1_max_idle_conns_per_endpoint = r.get(
      fmt::format("WEFT_PROXY_{}_MAX_IDLE_CONNS_PER_ENDPOINT", direction),
      [](std::string_view s) { return parse_uint(s, 0, 1U << 20); },
      "a whole number from 0 to 1048576");
  h.h2_server = read_h2(r, fmt::format("WEFT_PROXY_{}_SERVER_HTTP2_", direction), true);
  return h;
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
  c.inbound_http = read_http(r, "INBOUND");
  c.outbound_http = read_http(r, "OUTBOUND");
  c.h2_client = read_h2(r, "WEFT_PROXY_HTTP2_", false);
  c.h2_client.max_header_list_size =
      std::max(c.inbound_http.h2_server.max_header_list_size,
               c.outbound_http.h2_server.max_header_list_size);
  c.http1_max_head_bytes = r.get(
      "WEFT_PROXY_HTTP1_MAX_HEAD_BYTES",
      [](std::string_view s) { return parse_uint(s, 1024, 16U << 20); },
      "a size in bytes from 1024 to 16777216");
  c.metrics_retain_idle = r.get("WEFT_PROXY_METRICS_RETAIN_IDLE", parse_duration, kDuration);
  c.destinations_path = r.raw("WEFT_PROXY_DESTINATIONS");
  c.identity_dir = r.raw("WEFT_PROXY_IDENTITY_DIR");
  c.identity_trust_anchors = r.raw("WEFT_PROXY_IDENTITY_TRUST_ANCHORS");
  if (!c.identity_trust_anchors.empty() && c.identity_dir.empty()) {
    throw ConfigError("WEFT_PROXY_IDENTITY_TRUST_ANCHORS", c.identity_trust_anchors,
                      "unset, unless WEFT_PROXY_IDENTITY_DIR is set");
  }
  c.inbound_require_identity_ports =
      r.get("WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY", parse_port_ranges, kPorts);
  c.inbound_require_identity_all = r.get(
      "WEFT_PROXY_INBOUND_DEFAULT_POLICY",
      [](std::string_view s) -> std::optional<bool> {
        if (s == "all-unauthenticated") return false;
        if (s == "all-authenticated") return true;
        return std::nullopt;
      },
      "all-unauthenticated or all-authenticated");
  if ((c.inbound_require_identity_all || !c.inbound_require_identity_ports.empty()) &&
      c.identity_dir.empty()) {
    // Without an identity no client can be verified: every such connection would be refused.
    throw ConfigError(c.inbound_require_identity_all ? "WEFT_PROXY_INBOUND_DEFAULT_POLICY"
                                                     : "WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY",
                      c.inbound_require_identity_all
                          ? r.raw("WEFT_PROXY_INBOUND_DEFAULT_POLICY")
                          : r.raw("WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY"),
                      "a policy that needs WEFT_PROXY_IDENTITY_DIR to be set");
  }
  c.http_balancer = read_queue(r, "HTTP");
  c.tcp_balancer = read_queue(r, "TCP");
  c.connect_backoff.min =
      r.get("WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MIN", parse_duration, kDuration);
  c.connect_backoff.max =
      r.get("WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MAX", parse_duration, kDuration);
  c.connect_backoff.jitter = r.get(
      "WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_JITTER", parse_fraction, "a number from 0 to 1");
  if (c.connect_backoff.min.count() == 0 || c.connect_backoff.max < c.connect_backoff.min) {
    throw ConfigError("WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MAX",
                      r.raw("WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MAX"),
                      "a duration at least OUTBOUND_CONNECT_EXP_BACKOFF_MIN, which must be > 0");
  }
  return c;
}

}  // namespace weft::core
