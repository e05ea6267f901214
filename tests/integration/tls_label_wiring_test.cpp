// The seam mTLS uses to label a connection's inbound HTTP series: serve_h1 and serve_h2 take the
// client side's TLS label from the tcp handle they are given (TcpConnMetrics::tls_or), so a
// handle opened with tls="true",client_id=... labels the connection's requests alike. Runs the
// HTTP servers on their own io_context over real sockets, driven by curl, towards real
// endpoints (Python's http.server, the nghttp2 test server).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "support/h1_client.hpp"
#include "support/h2_test_server.hpp"
#include "support/h2_tools.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "weft/http/context.hpp"
#include "weft/http/h1_pool.hpp"
#include "weft/http/h2_client_pool.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/connector.hpp"

namespace weft::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using metrics::TlsRef;

constexpr std::string_view kWebId = "spiffe://cluster.local/ns/emojivoto/sa/web";

// An inbound HTTP listener on 127.0.0.1:0 whose connections are all served as `protocol`
// towards `app`, each with a client handle opened with `client_tls` (as mTLS would open it).
class InboundHttp {
 public:
  enum class Protocol { h1, h2 };

  InboundHttp(Protocol protocol, tcp::endpoint app, TlsRef client_tls)
      : protocol_(protocol), app_(app), client_tls_(client_tls) {
    h2_pool_ = std::make_unique<http::H2ClientPool>(ioc_.get_executor());
    ctx_ = http::HttpContext{.direction = metrics::Direction::inbound,
                             .connect_timeout = 2s,
                             .idle_timeout = 30s,
                             .config = &config_,
                             .h2_client = &h2_settings_,
                             .http1_max_head_bytes = 64 * 1024,
                             .client_tls = TlsRef::no_identity("no_tls_from_remote"),
                             .endpoint_tls = TlsRef::no_identity("loopback"),
                             .metrics = &registry_.shard(0),
                             .buffers = &buffers_,
                             .pipes = &pipes_,
                             .drain = &drain_,
                             .h1_pool = &h1_pool_,
                             .h2_pool = h2_pool_.get()};
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~InboundHttp() {
    ioc_.stop();
    thread_.join();
    // The connections' frames go while the pools and the context they point to still exist.
    ioc_.shutdown();
  }

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  const metrics::Registry& registry() const { return registry_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
      net::prepare_socket(socket);  // non-blocking, as forward_tcp hands it over
      auto handle = registry_.shard(0).open_tcp(
          {metrics::Direction::inbound, metrics::Peer::src, app_, client_tls_});
      asio::co_spawn(ioc_, serve(std::move(socket), std::move(handle)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, metrics::TcpConnMetrics handle) {
    if (protocol_ == Protocol::h1) {
      co_await http::serve_h1(ctx_, net::Stream(std::move(socket)), app_, {}, std::move(handle));
    } else {
      co_await http::serve_h2(ctx_, net::Stream(std::move(socket)), app_, {}, std::move(handle));
    }
  }

  class Context : public asio::io_context {
   public:
    using execution_context::shutdown;
    using io_context::io_context;
  };

  Protocol protocol_;
  tcp::endpoint app_;
  TlsRef client_tls_;
  metrics::Registry registry_{1};
  core::HttpConfig config_;
  core::Http2Settings h2_settings_;
  net::BufferPool buffers_;
  net::PipePool pipes_;
  std::unique_ptr<http::H2ClientPool> h2_pool_;
  Context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  net::DrainSignal drain_{ioc_.get_executor()};
  http::H1Pool h1_pool_{ioc_.get_executor(), 3s, 16};
  tcp::acceptor acceptor_{ioc_, {asio::ip::make_address("127.0.0.1"), 0}};
  http::HttpContext ctx_{};
  std::thread thread_;
};

// Polls the registry until the sum of `name` over series with `labels` is `expected`.
testing::AssertionResult wait_for(const metrics::Registry& registry, const std::string& name,
                                  const std::map<std::string, std::string>& labels,
                                  double expected) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  double value = 0;
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    text = registry.render();
    value = metric_value(text, name, labels);
    if (value == expected) return testing::AssertionSuccess();
    std::this_thread::sleep_for(10ms);
  }
  return testing::AssertionFailure() << name << " is " << value << ", want " << expected << "\n"
                                     << text;
}

TEST(MetricTlsWiring, Http1InboundSeriesCarryTheClientHandlesIdentity) {
  auto app = h1_endpoint();
  ASSERT_TRUE(app.ok());
  InboundHttp inbound(InboundHttp::Protocol::h1, app.endpoint(), TlsRef::established(kWebId));
  const auto url = base_url(inbound.endpoint());
  const auto r = curl({"-o", "/dev/null", "-o", "/dev/null", url + "/bytes/10", url + "/bytes/3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::map<std::string, std::string> mtls = {
      {"direction", "inbound"}, {"tls", "true"}, {"client_id", std::string(kWebId)}};
  EXPECT_TRUE(wait_for(inbound.registry(), "request_total", mtls, 2));
  auto ok = mtls;
  ok.emplace("status_code", "200");
  EXPECT_TRUE(wait_for(inbound.registry(), "response_total", ok, 2));
  // Nothing fell back to the listener's default, and the connection to the app is loopback.
  EXPECT_EQ(metric_value(inbound.registry().render(), "request_total",
                         {{"no_tls_reason", "no_tls_from_remote"}}),
            0);
  EXPECT_TRUE(wait_for(inbound.registry(), "tcp_open_total",
                       {{"peer", "dst"}, {"tls", "no_identity"}, {"no_tls_reason", "loopback"}},
                       1));
}

TEST(MetricTlsWiring, Http2InboundSeriesCarryTheClientHandlesIdentity) {
  H2TestServer app;
  InboundHttp inbound(InboundHttp::Protocol::h2, app.endpoint(), TlsRef::established(kWebId));
  const auto r = curl_h2({"-o", "/dev/null"}, base_url(inbound.endpoint()) + "/size/100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::map<std::string, std::string> mtls = {
      {"direction", "inbound"}, {"tls", "true"}, {"client_id", std::string(kWebId)}};
  EXPECT_TRUE(wait_for(inbound.registry(), "request_total", mtls, 1));
  auto ok = mtls;
  ok.emplace("status_code", "200");
  EXPECT_TRUE(wait_for(inbound.registry(), "response_total", ok, 1));
}

TEST(MetricTlsWiring, AClientWithoutACertificateHasAnEmptyClientId) {
  auto app = h1_endpoint();
  ASSERT_TRUE(app.ok());
  InboundHttp inbound(InboundHttp::Protocol::h1, app.endpoint(), TlsRef::established(""));
  const auto r = curl({"-o", "/dev/null", base_url(inbound.endpoint()) + "/bytes/1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(wait_for(inbound.registry(), "request_total",
                       {{"direction", "inbound"}, {"tls", "true"}, {"client_id", ""}}, 1));
}

}  // namespace
}  // namespace weft::test
