#include "weft/http/router.hpp"

namespace weft::http {

Router::Router(const boost::asio::any_io_executor& executor,
               const discovery::DestinationStore& store, const core::ProxyConfig& config,
               unsigned workers, std::uint64_t seed, metrics::BalancerGauges* gauges)
    : view_(store),
      http_balancers_(executor, balance::from_config(config.http_balancer, config.connect_backoff),
                      seed, gauges),
      tcp_balancers_(executor, balance::from_config(config.tcp_balancer, config.connect_backoff),
                     seed ^ 0x9e3779b97f4a7c15ULL, nullptr),
      budget_share_(1.0 / std::max(1U, workers)),
      rng_(static_cast<std::minstd_rand::result_type>(seed)) {}

void Router::sync() {
  const auto& table = view_.current();
  if (view_.version() == synced_version_) return;
  synced_version_ = view_.version();
  const auto now = Clock::now();
  http_balancers_.sync(*table, now);
  tcp_balancers_.sync(*table, now);
}

Destination Router::resolve(const boost::asio::ip::tcp::endpoint& target,
                            std::string_view authority) {
  sync();
  const auto& table = view_.current();
  const discovery::Service* service = table->by_address(target);
  if (!service && !authority.empty()) service = table->by_authority(authority);
  if (!service) return {};
  auto budget = budgets_.find(service->name);
  if (budget == budgets_.end()) {
    budget = budgets_
                 .emplace(service->name, std::make_unique<RetryBudget>(
                                             service->retry_budget, budget_share_, Clock::now()))
                 .first;
  }
  return Destination{.table = table,
                     .service = service,
                     .http_balancer = http_balancers_.get(*service),
                     .tcp_balancer = tcp_balancers_.get(*service),
                     .budget = budget->second.get()};
}

}  // namespace weft::http
