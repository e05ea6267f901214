// Outbound routing on one worker: which service (if any) an original destination or an
// authority names in the current destination table, that service's balancers (one for HTTP
// requests, one for opaque connections) and its retry budget. The router follows the table
// (discovery::DestinationView): when a new version is out it brings the balancers and budgets in
// step before answering, so a lookup costs one atomic load while nothing changes. A Destination
// holds the table version it was resolved in, so a request keeps its service, routes and
// endpoints to the end even if the table changes under it. Single-threaded (its worker's).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <random>
#include <memory>
#include <string>
#include <string_view>

#include "weft/balance/balancer.hpp"
#include "weft/core/config.hpp"
#include "weft/discovery/source.hpp"
#include "weft/http/retry_budget.hpp"

namespace weft::metrics {
class BalancerGauges;
}

namespace weft::http {

/// What the table says of one outbound request or connection. Empty (no service) when the
/// table has no entry: the traffic goes to its original destination.
struct Destination {
  discovery::TablePtr table;  // keeps `service` alive
  const discovery::Service* service = nullptr;
  std::shared_ptr<balance::Balancer> http_balancer;  // shared: a table change may drop it
  std::shared_ptr<balance::Balancer> tcp_balancer;
  RetryBudget* budget = nullptr;  // lives as long as the router (budgets are never dropped)

  explicit operator bool() const noexcept { return service != nullptr; }
};

class Router {
 public:
  /// `workers`: how many workers share the free retries of each budget.
  Router(const boost::asio::any_io_executor& executor, const discovery::DestinationStore& store,
         const core::ProxyConfig& config, unsigned workers, std::uint64_t seed,
         metrics::BalancerGauges* gauges);

  /// The service whose virtual address is `target`, or else the one `authority` names (when
  /// not empty), in the current table.
  Destination resolve(const boost::asio::ip::tcp::endpoint& target, std::string_view authority);

  /// The worker's random source for retry backoff jitter.
  std::minstd_rand& rng() noexcept { return rng_; }

 private:
  void sync();

  discovery::DestinationView view_;
  balance::BalancerSet http_balancers_;
  balance::BalancerSet tcp_balancers_;
  // Per service name; kept when a service leaves the table (a request in flight may still use
  // it), which bounds them by the names ever seen.
  std::map<std::string, std::unique_ptr<RetryBudget>, std::less<>> budgets_;
  double budget_share_;
  std::minstd_rand rng_;
  std::uint64_t synced_version_ = 0;
};

}  // namespace weft::http
