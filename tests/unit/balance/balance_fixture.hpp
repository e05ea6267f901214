// Shared by the balancer tests: services built as plain aggregates (no table parsing) and a
// balancer on a test io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "weft/balance/balancer.hpp"

namespace weft::balance::test {

inline boost::asio::ip::tcp::endpoint addr(int i) {
  return {boost::asio::ip::make_address_v4(0x0a000000u + static_cast<unsigned>(i)), 80};
}

/// A service named `name` with endpoints 10.0.0.1:80 .. 10.0.0.n:80, weights as given (1 each
/// when `weights` is empty).
inline discovery::Service make_service(std::size_t n, std::vector<std::uint32_t> weights = {},
                                       std::string name = "web.ns.svc.cluster.local") {
  discovery::Service s;
  s.name = std::move(name);
  for (std::size_t i = 0; i < n; ++i) {
    discovery::Endpoint e;
    e.addr = addr(static_cast<int>(i + 1));
    e.weight = weights.empty() ? 1 : weights[i];
    s.endpoints.push_back(e);
  }
  return s;
}

/// The index of `e` in `b`'s endpoint list, or -1.
inline int index_of(const Balancer& b, const EndpointState* e) {
  const auto eps = b.endpoints();
  for (std::size_t i = 0; i < eps.size(); ++i) {
    if (eps[i].get() == e) return static_cast<int>(i);
  }
  return -1;
}

/// The index of the endpoint at `a` in `b`'s endpoint list, or -1.
inline int index_by_addr(const Balancer& b, const boost::asio::ip::tcp::endpoint& a) {
  const auto eps = b.endpoints();
  for (std::size_t i = 0; i < eps.size(); ++i) {
    if (eps[i]->meta.addr == a) return static_cast<int>(i);
  }
  return -1;
}

inline BalancerConfig test_config() {
  BalancerConfig c;
  c.connect_backoff =
      BackoffParams{std::chrono::milliseconds(100), std::chrono::milliseconds(100), 0.0};
  return c;
}

inline std::shared_ptr<Balancer> make_balancer(boost::asio::io_context& ioc,
                                               const discovery::Service& service,
                                               const BalancerConfig& config = test_config(),
                                               std::uint64_t seed = 1,
                                               metrics::BalancerGauges* gauges = nullptr) {
  return std::make_shared<Balancer>(ioc.get_executor(), service, config, seed, gauges);
}

}  // namespace weft::balance::test
