#include "weft/core/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <span>

#include "weft/core/log.hpp"

namespace weft::core {
namespace {

using namespace std::chrono_literals;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Each (variable, value) alone is refused with a ConfigError that names both.
void expect_each_rejected(std::span<const std::pair<const char*, const char*>> cases) {
  for (const auto& [name, value] : cases) {
    try {
      load_proxy_config(env_of({{name, value}}));
      ADD_FAILURE() << name << "=" << value << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.variable(), name);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(value), std::string::npos) << e.what();
    }
  }
}

TEST(Config, DefaultsMatchLinkerd) {
  const auto c = load_proxy_config(env_of({}));
  EXPECT_EQ(c.inbound_listen, parse_socket_addr("0.0.0.0:4143").value());
  ASSERT_EQ(c.outbound_listen.size(), 1u);
  EXPECT_EQ(c.outbound_listen[0], parse_socket_addr("127.0.0.1:4140").value());
  EXPECT_EQ(c.admin_listen, parse_socket_addr("0.0.0.0:4191").value());
  EXPECT_EQ(c.inbound_connect_timeout, 300ms);
  EXPECT_EQ(c.outbound_connect_timeout, 1s);
  EXPECT_EQ(c.shutdown_grace_period, 2min);
  EXPECT_EQ(c.tcp_idle_timeout, 1h);
  EXPECT_EQ(c.cores, 1u);
  EXPECT_EQ(c.inbound_detect_timeout, 10s);
  EXPECT_EQ(c.outbound_detect_timeout, 10s);
  EXPECT_TRUE(c.inbound_opaque_ports.empty());
  for (std::uint16_t port : {25, 587, 3306, 4444, 5432, 6379, 9300, 11211}) {
    EXPECT_TRUE(contains_port(c.outbound_opaque_ports, port)) << port;
  }
  EXPECT_FALSE(contains_port(c.outbound_opaque_ports, 80));
  EXPECT_EQ(c.log_format, LogFormat::plain);
  EXPECT_FALSE(c.inbound_orig_dst);
  EXPECT_FALSE(c.outbound_orig_dst);
}

TEST(Config, IdentityAndInboundPolicy) {
  const auto off = load_proxy_config(env_of({}));
  EXPECT_TRUE(off.identity_dir.empty());
  EXPECT_FALSE(off.inbound_require_identity_all);
  const auto on = load_proxy_config(env_of({{"WEFT_PROXY_IDENTITY_DIR", "/var/run/weft/identity"},
                                            {"WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY", "8080,9000-9001"},
                                            {"WEFT_PROXY_INBOUND_DEFAULT_POLICY", "all-authenticated"}}));
  EXPECT_EQ(on.identity_dir, "/var/run/weft/identity");
  EXPECT_TRUE(contains_port(on.inbound_require_identity_ports, 9001));
  EXPECT_FALSE(contains_port(on.inbound_require_identity_ports, 80));
  EXPECT_TRUE(on.inbound_require_identity_all);
  // A policy no client could meet without an identity, and an unknown policy, are refused.
  const std::pair<const char*, const char*> bad[] = {
      {"WEFT_PROXY_INBOUND_DEFAULT_POLICY", "all-authenticated"},
      {"WEFT_PROXY_INBOUND_PORTS_REQUIRE_IDENTITY", "8080"},
      {"WEFT_PROXY_INBOUND_DEFAULT_POLICY", "cluster-unauthenticated"},
      {"WEFT_PROXY_IDENTITY_TRUST_ANCHORS", "/etc/anchors.pem"},
  };
  expect_each_rejected(bad);
}

TEST(Config, ReadsEveryVariable) {
  const auto c = load_proxy_config(env_of({
      {"WEFT_PROXY_INBOUND_LISTEN_ADDR", "127.0.0.1:0"},
      {"WEFT_PROXY_OUTBOUND_LISTEN_ADDR", "[::1]:4140"},
      {"WEFT_PROXY_ADMIN_LISTEN_ADDR", "127.0.0.1:9999"},
      {"WEFT_PROXY_INBOUND_CONNECT_TIMEOUT", "100ms"},
      {"WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT", "3s"},
      {"WEFT_PROXY_TCP_IDLE_TIMEOUT", "5m"},
      {"WEFT_PROXY_INBOUND_DETECT_TIMEOUT", "1s"},
      {"WEFT_PROXY_OUTBOUND_DETECT_TIMEOUT", "365d"},
      {"WEFT_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", "22,8000-8010"},
      {"WEFT_PROXY_OUTBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", ""},
      {"WEFT_PROXY_SHUTDOWN_GRACE_PERIOD", "30s"},
      {"WEFT_PROXY_CORES", "4"},
      {"WEFT_PROXY_LOG", "debug"},
      {"WEFT_PROXY_LOG_FORMAT", "json"},
      {"WEFT_PROXY_INBOUND_ORIG_DST_ADDR", "127.0.0.1:8080"},
      {"WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR", "[::1]:9090"},
  }));
  EXPECT_EQ(c.inbound_listen.port(), 0);
  ASSERT_EQ(c.outbound_listen.size(), 1u);
  EXPECT_TRUE(c.outbound_listen[0].address().is_v6());
  EXPECT_EQ(c.admin_listen.port(), 9999);
  EXPECT_EQ(c.inbound_connect_timeout, 100ms);
  EXPECT_EQ(c.outbound_connect_timeout, 3s);
  EXPECT_EQ(c.tcp_idle_timeout, 5min);
  EXPECT_EQ(c.inbound_detect_timeout, 1s);
  EXPECT_EQ(c.outbound_detect_timeout, 365 * 24h);
  EXPECT_TRUE(contains_port(c.inbound_opaque_ports, 8005));
  EXPECT_TRUE(c.outbound_opaque_ports.empty());
  EXPECT_EQ(c.shutdown_grace_period, 30s);
  EXPECT_EQ(c.cores, 4u);
  EXPECT_EQ(c.log, "debug");
  EXPECT_EQ(c.log_format, LogFormat::json);
  ASSERT_TRUE(c.inbound_orig_dst);
  EXPECT_EQ(c.inbound_orig_dst->port(), 8080);
  ASSERT_TRUE(c.outbound_orig_dst);
  EXPECT_EQ(c.outbound_orig_dst->port(), 9090);
}

TEST(Config, OutboundListenAddrsTakesOneOrTwoAddresses) {
  const auto c = load_proxy_config(
      env_of({{"WEFT_PROXY_OUTBOUND_LISTEN_ADDRS", "127.0.0.1:4140,[::1]:4140"}}));
  ASSERT_EQ(c.outbound_listen.size(), 2u);
  EXPECT_TRUE(c.outbound_listen[1].address().is_v6());
  for (const char* bad : {"127.0.0.1:1,127.0.0.1:2,127.0.0.1:3", "127.0.0.1:1,", "x"}) {
    EXPECT_THROW(load_proxy_config(env_of({{"WEFT_PROXY_OUTBOUND_LISTEN_ADDRS", bad}})),
                 ConfigError)
        << bad;
  }
}

TEST(Config, BadValuesNameTheVariable) {
  const std::pair<const char*, const char*> cases[] = {
      {"WEFT_PROXY_INBOUND_LISTEN_ADDR", "4143"},
      {"WEFT_PROXY_OUTBOUND_LISTEN_ADDR", "localhost:4140"},
      {"WEFT_PROXY_ADMIN_LISTEN_ADDR", "0.0.0.0:99999"},
      {"WEFT_PROXY_INBOUND_CONNECT_TIMEOUT", "100"},
      {"WEFT_PROXY_OUTBOUND_CONNECT_TIMEOUT", "0"},
      {"WEFT_PROXY_TCP_IDLE_TIMEOUT", "soon"},
      {"WEFT_PROXY_INBOUND_DETECT_TIMEOUT", "10"},
      {"WEFT_PROXY_OUTBOUND_DETECT_TIMEOUT", "fast"},
      {"WEFT_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", "22,http"},
      {"WEFT_PROXY_OUTBOUND_PORTS_DISABLE_PROTOCOL_DETECTION", "0"},
      {"WEFT_PROXY_SHUTDOWN_GRACE_PERIOD", "2 minutes"},
      {"WEFT_PROXY_CORES", "0"},
      {"WEFT_PROXY_CORES", "many"},
      {"WEFT_PROXY_LOG", "loud"},
      {"WEFT_PROXY_LOG", "weft=loud"},
      {"WEFT_PROXY_LOG_FORMAT", "xml"},
      {"WEFT_PROXY_INBOUND_ORIG_DST_ADDR", "127.0.0.1:0"},
      {"WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR", "nowhere"},
  };
  expect_each_rejected(cases);
}

TEST(Config, HttpDefaults) {
  const auto c = load_proxy_config(env_of({}));
  for (const HttpConfig* h : {&c.inbound_http, &c.outbound_http}) {
    EXPECT_EQ(h->http1_pool_idle_timeout, 3s);
    EXPECT_EQ(h->http1_max_idle_conns_per_endpoint, 10000u);
    EXPECT_EQ(h->h2_server.max_concurrent_streams, 1000u);
    EXPECT_EQ(h->h2_server.max_header_list_size, 65536u);
    EXPECT_EQ(h->h2_server.initial_stream_window_size, 65535u);
    EXPECT_EQ(h->h2_server.initial_connection_window_size, 1048576u);
    EXPECT_EQ(h->h2_server.keep_alive_interval, 10s);
    EXPECT_EQ(h->h2_server.keep_alive_timeout, 3s);
  }
  EXPECT_EQ(c.h2_client.initial_stream_window_size, 65535u);
  EXPECT_EQ(c.h2_client.initial_connection_window_size, 1048576u);
  EXPECT_EQ(c.h2_client.keep_alive_interval, 0s);  // no PINGs to endpoints by default
  EXPECT_EQ(c.h2_client.keep_alive_timeout, 3s);
  EXPECT_EQ(c.h2_client.max_header_list_size, 65536u);
  EXPECT_EQ(c.http1_max_head_bytes, 65536u);
  EXPECT_EQ(c.metrics_retain_idle, 10min);
}

TEST(Config, ReadsEveryHttpVariable) {
  const auto c = load_proxy_config(env_of({
      {"WEFT_PROXY_METRICS_RETAIN_IDLE", "30s"},
      {"WEFT_PROXY_HTTP1_MAX_HEAD_BYTES", "8192"},
      {"WEFT_PROXY_INBOUND_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", "1s"},
      {"WEFT_PROXY_OUTBOUND_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", "2s"},
      {"WEFT_PROXY_INBOUND_MAX_IDLE_CONNS_PER_ENDPOINT", "0"},
      {"WEFT_PROXY_OUTBOUND_MAX_IDLE_CONNS_PER_ENDPOINT", "7"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_MAX_CONCURRENT_STREAMS", "100"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_MAX_HEADER_LIST_SIZE", "4096"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "131072"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "65535"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL", "0s"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT", "0s"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_MAX_CONCURRENT_STREAMS", "200"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_MAX_HEADER_LIST_SIZE", "1048576"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "70000"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "2147483647"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL", "20s"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT", "5s"},
      {"WEFT_PROXY_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "100000"},
      {"WEFT_PROXY_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "200000"},
      {"WEFT_PROXY_HTTP2_KEEP_ALIVE_INTERVAL", "1m"},
      {"WEFT_PROXY_HTTP2_KEEP_ALIVE_TIMEOUT", "10s"},
  }));
  EXPECT_EQ(c.metrics_retain_idle, 30s);
  EXPECT_EQ(c.http1_max_head_bytes, 8192u);
  EXPECT_EQ(c.inbound_http.http1_pool_idle_timeout, 1s);
  EXPECT_EQ(c.outbound_http.http1_pool_idle_timeout, 2s);
  EXPECT_EQ(c.inbound_http.http1_max_idle_conns_per_endpoint, 0u);
  EXPECT_EQ(c.outbound_http.http1_max_idle_conns_per_endpoint, 7u);
  EXPECT_EQ(c.inbound_http.h2_server.max_concurrent_streams, 100u);
  EXPECT_EQ(c.inbound_http.h2_server.max_header_list_size, 4096u);
  EXPECT_EQ(c.inbound_http.h2_server.initial_stream_window_size, 131072u);
  EXPECT_EQ(c.inbound_http.h2_server.initial_connection_window_size, 65535u);
  EXPECT_EQ(c.inbound_http.h2_server.keep_alive_interval, 0s);
  EXPECT_EQ(c.inbound_http.h2_server.keep_alive_timeout, 0s);  // fine with no interval
  EXPECT_EQ(c.outbound_http.h2_server.max_concurrent_streams, 200u);
  EXPECT_EQ(c.outbound_http.h2_server.max_header_list_size, 1048576u);
  EXPECT_EQ(c.outbound_http.h2_server.initial_stream_window_size, 70000u);
  EXPECT_EQ(c.outbound_http.h2_server.initial_connection_window_size, 2147483647u);
  EXPECT_EQ(c.outbound_http.h2_server.keep_alive_interval, 20s);
  EXPECT_EQ(c.outbound_http.h2_server.keep_alive_timeout, 5s);
  EXPECT_EQ(c.h2_client.initial_stream_window_size, 100000u);
  EXPECT_EQ(c.h2_client.initial_connection_window_size, 200000u);
  EXPECT_EQ(c.h2_client.keep_alive_interval, 1min);
  EXPECT_EQ(c.h2_client.keep_alive_timeout, 10s);
  // The client side accepts header lists as large as either server side lets in.
  EXPECT_EQ(c.h2_client.max_header_list_size, 1048576u);
}

TEST(Config, BadHttpValuesNameTheVariable) {
  const std::pair<const char*, const char*> cases[] = {
      {"WEFT_PROXY_METRICS_RETAIN_IDLE", "10"},
      {"WEFT_PROXY_METRICS_RETAIN_IDLE", "forever"},
      {"WEFT_PROXY_HTTP1_MAX_HEAD_BYTES", "1023"},
      {"WEFT_PROXY_HTTP1_MAX_HEAD_BYTES", "16777217"},
      {"WEFT_PROXY_HTTP1_MAX_HEAD_BYTES", "64k"},
      {"WEFT_PROXY_INBOUND_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", "3"},
      {"WEFT_PROXY_OUTBOUND_HTTP1_CONNECTION_POOL_IDLE_TIMEOUT", "x"},
      {"WEFT_PROXY_INBOUND_MAX_IDLE_CONNS_PER_ENDPOINT", "-1"},
      {"WEFT_PROXY_OUTBOUND_MAX_IDLE_CONNS_PER_ENDPOINT", "2000000"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_MAX_CONCURRENT_STREAMS", "0"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_MAX_HEADER_LIST_SIZE", "4095"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "65534"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "2147483648"},
      {"WEFT_PROXY_INBOUND_SERVER_HTTP2_KEEP_ALIVE_INTERVAL", "often"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_MAX_CONCURRENT_STREAMS", "lots"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_MAX_HEADER_LIST_SIZE", "16777217"},
      {"WEFT_PROXY_OUTBOUND_SERVER_HTTP2_KEEP_ALIVE_TIMEOUT", "3"},
      {"WEFT_PROXY_HTTP2_INITIAL_STREAM_WINDOW_SIZE", "1"},
      {"WEFT_PROXY_HTTP2_INITIAL_CONNECTION_WINDOW_SIZE", "big"},
      {"WEFT_PROXY_HTTP2_KEEP_ALIVE_INTERVAL", "1"},
      {"WEFT_PROXY_HTTP2_KEEP_ALIVE_TIMEOUT", "-3s"},
  };
  expect_each_rejected(cases);
}

TEST(Config, KeepAliveIntervalNeedsATimeout) {
  for (const char* prefix : {"WEFT_PROXY_INBOUND_SERVER_HTTP2_",
                             "WEFT_PROXY_OUTBOUND_SERVER_HTTP2_", "WEFT_PROXY_HTTP2_"}) {
    const std::string interval = std::string(prefix) + "KEEP_ALIVE_INTERVAL";
    const std::string timeout = std::string(prefix) + "KEEP_ALIVE_TIMEOUT";
    try {
      load_proxy_config(env_of({{interval, "10s"}, {timeout, "0s"}}));
      ADD_FAILURE() << interval << " without a timeout was accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.variable(), timeout);
      EXPECT_NE(std::string(e.what()).find("keep-alive interval"), std::string::npos) << e.what();
    }
    // No interval: a zero timeout is never used, so it is fine.
    EXPECT_NO_THROW(load_proxy_config(env_of({{interval, "0s"}, {timeout, "0s"}}))) << prefix;
  }
}

TEST(Config, BalancingDefaultsAreLinkerdsOutbound) {
  const auto c = load_proxy_config(env_of({}));
  EXPECT_TRUE(c.destinations_path.empty());
  for (const QueueConfig* q : {&c.http_balancer, &c.tcp_balancer}) {
    EXPECT_EQ(q->queue_capacity, 10000u);
    EXPECT_EQ(q->failfast_timeout, 3s);
  }
  EXPECT_EQ(c.connect_backoff.min, 100ms);
  EXPECT_EQ(c.connect_backoff.max, 60s);
  EXPECT_DOUBLE_EQ(c.connect_backoff.jitter, 0.1);
  const auto set = load_proxy_config(env_of({{"WEFT_PROXY_DESTINATIONS", "/etc/weft/d.yaml"},
                                             {"WEFT_PROXY_OUTBOUND_HTTP_QUEUE_CAPACITY", "5"},
                                             {"WEFT_PROXY_OUTBOUND_TCP_FAILFAST_TIMEOUT", "1s"},
                                             {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_JITTER", "0"}}));
  EXPECT_EQ(set.destinations_path, "/etc/weft/d.yaml");
  EXPECT_EQ(set.http_balancer.queue_capacity, 5u);
  EXPECT_EQ(set.tcp_balancer.failfast_timeout, 1s);
  EXPECT_DOUBLE_EQ(set.connect_backoff.jitter, 0.0);
}

TEST(Config, BadBalancingValuesNameTheVariable) {
  const std::pair<const char*, const char*> cases[] = {
      {"WEFT_PROXY_OUTBOUND_HTTP_QUEUE_CAPACITY", "0"},
      {"WEFT_PROXY_OUTBOUND_TCP_QUEUE_CAPACITY", "many"},
      {"WEFT_PROXY_OUTBOUND_HTTP_FAILFAST_TIMEOUT", "3"},
      {"WEFT_PROXY_OUTBOUND_TCP_FAILFAST_TIMEOUT", "soon"},
      {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MIN", "100"},
      {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_MAX", "50ms"},  // below the 100ms minimum
      {"WEFT_PROXY_OUTBOUND_CONNECT_EXP_BACKOFF_JITTER", "1.5"},
  };
  expect_each_rejected(cases);
}

TEST(Config, EveryVariableIsDocumented) {
  for (const auto& var : proxy_env_vars()) {
    EXPECT_TRUE(var.name.starts_with("WEFT_PROXY_")) << var.name;
    EXPECT_FALSE(var.help.empty()) << var.name;
  }
}

TEST(LogFilter, LinkerdStyleFilters) {
  EXPECT_EQ(parse_log_filter("warn,weft=info").value(), spdlog::level::info);
  EXPECT_EQ(parse_log_filter("debug").value(), spdlog::level::debug);
  EXPECT_EQ(parse_log_filter("info,hickory=error").value(), spdlog::level::info);
  EXPECT_EQ(parse_log_filter("off").value(), spdlog::level::off);
  EXPECT_FALSE(parse_log_filter(""));
  EXPECT_FALSE(parse_log_filter("weft="));
  EXPECT_FALSE(parse_log_filter("=info"));
}

}  // namespace
}  // namespace weft::core
