// outbound_http_balancer_endpoints: what balancers publish and how the registry renders it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "weft/balance/balancer.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

std::string render_gauges(Registry& r) {
  std::string out;
  TextWriter w(out);
  std::vector<const BalancerGauges*> shards;
  for (std::size_t i = 0; i < r.shard_count(); ++i) {
    shards.push_back(&r.shard(i).balancer());
  }
  render_balancer_gauges(shards, w);
  return out;
}

discovery::Service service(const std::string& name, int endpoints) {
  discovery::Service s;
  s.name = name;
  for (int i = 1; i <= endpoints; ++i) {
    discovery::Endpoint e;
    e.addr = {asio::ip::make_address_v4(0x0a000000u + static_cast<unsigned>(i)), 80};
    s.endpoints.push_back(e);
  }
  return s;
}

TEST(BalancerGauges, NothingIsRenderedBeforeABalancerPublishes) {
  Registry r(1);
  EXPECT_EQ(render_gauges(r), "");
  EXPECT_EQ(r.render().find("outbound_http_balancer_endpoints"), std::string::npos);
}

TEST(BalancerGauges, RendersReadyAndPendingPerService) {
  Registry r(1);
  r.shard(0).balancer().set("web.svc", {3, 1});
  r.shard(0).balancer().set("a\"b", {0, 0});
  EXPECT_EQ(render_gauges(r),
            "# HELP outbound_http_balancer_endpoints Endpoints of a service's balancer, by "
            "whether they can take requests now\n"
            "# TYPE outbound_http_balancer_endpoints gauge\n"
            "outbound_http_balancer_endpoints{endpoint_state=\"ready\",dst=\"a\\\"b\"} 0\n"
            "outbound_http_balancer_endpoints{endpoint_state=\"pending\",dst=\"a\\\"b\"} 0\n"
            "outbound_http_balancer_endpoints{endpoint_state=\"ready\",dst=\"web.svc\"} 3\n"
            "outbound_http_balancer_endpoints{endpoint_state=\"pending\",dst=\"web.svc\"} 1\n");
  r.shard(0).balancer().remove("a\"b");
  EXPECT_EQ(render_gauges(r).find("a\\\"b"), std::string::npos);
}

TEST(BalancerGauges, WorkersViewsCombineAsTheLargestNotTheSum) {
  // Every worker balances the same endpoints on its own: three endpoints seen by two workers
  // are three endpoints.
  Registry r(2);
  r.shard(0).balancer().set("web.svc", {3, 0});
  r.shard(1).balancer().set("web.svc", {2, 1});
  r.shard(1).balancer().set("other.svc", {1, 0});
  const std::string text = render_gauges(r);
  EXPECT_NE(text.find("{endpoint_state=\"ready\",dst=\"web.svc\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("{endpoint_state=\"pending\",dst=\"web.svc\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("{endpoint_state=\"ready\",dst=\"other.svc\"} 1\n"), std::string::npos);
  EXPECT_NE(r.render().find("{endpoint_state=\"ready\",dst=\"web.svc\"} 3\n"), std::string::npos);
}

TEST(BalancerGauges, FollowABalancersEndpoints) {
  asio::io_context ioc;
  Registry r(1);
  balance::BalancerConfig config;
  config.connect_backoff = {20ms, 20ms, 0.0};
  balance::BalancerSet set(ioc.get_executor(), config, 1, &r.shard(0).balancer());
  auto b = set.get(service("web.svc", 3));
  EXPECT_NE(render_gauges(r).find("{endpoint_state=\"ready\",dst=\"web.svc\"} 3\n"),
            std::string::npos);

  // A connect failure: one endpoint pending until its backoff ends.
  b->try_acquire(Clock::now()).connect_failed(Clock::now());
  EXPECT_NE(render_gauges(r).find("{endpoint_state=\"ready\",dst=\"web.svc\"} 2\n"),
            std::string::npos);
  EXPECT_NE(render_gauges(r).find("{endpoint_state=\"pending\",dst=\"web.svc\"} 1\n"),
            std::string::npos);
  const auto give_up = Clock::now() + 5s;
  while (render_gauges(r).find("dst=\"web.svc\"} 3\n") == std::string::npos &&
         Clock::now() < give_up) {
    ioc.restart();
    ioc.run_one_for(50ms);
  }
  EXPECT_NE(render_gauges(r).find("{endpoint_state=\"ready\",dst=\"web.svc\"} 3\n"),
            std::string::npos);
  EXPECT_NE(render_gauges(r).find("{endpoint_state=\"pending\",dst=\"web.svc\"} 0\n"),
            std::string::npos);

  // The table changes: the counts follow, and a service that leaves takes its series along.
  const std::vector<discovery::Service> smaller{service("web.svc", 1)};
  set.sync(smaller, Clock::now());
  EXPECT_NE(render_gauges(r).find("{endpoint_state=\"ready\",dst=\"web.svc\"} 1\n"),
            std::string::npos);
  set.sync(std::span<const discovery::Service>{}, Clock::now());
  EXPECT_EQ(render_gauges(r), "");
  // The retired balancer, still held here, no longer publishes.
  b->update(service("web.svc", 5), Clock::now());
  EXPECT_EQ(render_gauges(r), "");
}

}  // namespace
}  // namespace weft::metrics
