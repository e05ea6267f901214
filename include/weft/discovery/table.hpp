// The destination table: what the outbound proxy knows of the services an application talks to.
// A service is reached at one or more virtual addresses (a Kubernetes Service's ClusterIP:port)
// or by name (an authority), and is served by endpoints with metadata (weight, identity, metric
// labels). Routes add per-request policy: timeouts and retries. A table is immutable once built:
// a new version replaces it whole (discovery/source.hpp), and a request keeps the version it
// started with. Lookups are pure and allocation-free.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weft/core/parse.hpp"

namespace weft::discovery {

/// One endpoint of a service.
struct Endpoint {
  boost::asio::ip::tcp::endpoint addr;
  std::uint32_t weight = 1;  // relative share of requests; 0 is refused by the parser
  /// The endpoint's workload identity (spiffe://<td>/ns/<ns>/sa/<sa>); empty when it is not
  /// meshed. A meshed endpoint is reached with mTLS, sending `server_name` as SNI.
  std::string identity;
  std::string server_name;
  /// Labels, in the file's order; metrics render them as dst_<key>="<value>".
  std::vector<std::pair<std::string, std::string>> labels;
  /// `labels` pre-rendered for the exposition: `dst_namespace="emojivoto",dst_pod="web-5f86"`
  /// (escaped, keys sanitized to [a-zA-Z0-9_]); empty when there are no labels.
  std::string metric_labels;
};

/// Which status codes and gRPC codes make a response worth another try.
struct RetryConditions {
  /// Inclusive HTTP status ranges ("5xx" is {500, 599}; "gateway-error" {502, 504}).
  std::vector<std::pair<std::uint16_t, std::uint16_t>> http;
  /// Bit n set: gRPC status n is retried ("cancelled" 1, "deadline-exceeded" 4,
  /// "resource-exhausted" 8, "internal" 13, "unavailable" 14).
  std::uint32_t grpc_mask = 0;

  bool retries_http(unsigned status) const noexcept;
  bool retries_grpc(int grpc_status) const noexcept;
  bool empty() const noexcept { return http.empty() && grpc_mask == 0; }
};

struct RetryPolicy {
  RetryConditions on;
  std::uint32_t limit = 1;  // retries after the first try (Linkerd's default is 1)
  /// Each try's bound; zero means none (the request timeout still applies).
  core::duration per_try_timeout{0};
};

/// Linkerd's retry budget: retries may add `ratio` of the requests plus `min_per_second`,
/// counted over `ttl`.
struct RetryBudgetConfig {
  double ratio = 0.2;
  std::uint32_t min_per_second = 10;
  core::duration ttl{10000};
};

/// What a request must match for a route to apply; an unset field matches anything.
struct RouteMatch {
  std::string path_prefix;  // "" matches every path
  std::string method;       // "" matches every method; otherwise exact ("GET")
};

struct Route {
  std::string name;  // the rt_route metric label; "" renders the match ("GET /api/")
  RouteMatch match;
  /// The whole request's bound, from its head to the end of the response; zero means none.
  core::duration timeout{0};
  /// With no activity in either direction for this long the request fails; zero means none.
  core::duration idle_timeout{0};
  std::optional<RetryPolicy> retry;

  bool matches(std::string_view method, std::string_view path) const noexcept;

  /// The rt_route label: the name, or else the match ("GET /api/", "/api/").
  std::string metric_label() const {
    if (!name.empty()) return name;
    if (match.method.empty()) return match.path_prefix;
    std::string label = match.method;
    label += ' ';
    label += match.path_prefix;
    return label;
  }
};

/// Peak-EWMA's parameters (Linkerd: 30 ms before any sample, 10 s decay).
struct BalancerParams {
  core::duration default_rtt{30};
  core::duration decay{10000};
};

struct Service {
  std::string name;  // the logical name; the `dst` label of route metrics
  std::vector<boost::asio::ip::tcp::endpoint> addresses;
  bool opaque = false;  // no protocol detection for connections to this service
  std::vector<Endpoint> endpoints;
  std::vector<Route> routes;  // first match wins
  RetryBudgetConfig retry_budget;
  BalancerParams balancer;

  /// The first route that matches, or nullptr (the request then has no timeout and no retries).
  const Route* route_for(std::string_view method, std::string_view path) const noexcept;
};

/// An immutable set of services with its two indexes. Build one with make_table (or parse it,
/// discovery/file_source.hpp); share it as TablePtr.
class DestinationTable {
 public:
  DestinationTable() = default;
  /// Indexes `services`. Precondition: names and addresses are unique (parse_destinations
  /// checks); otherwise the first service in the list wins.
  explicit DestinationTable(std::vector<Service> services);
  // The indexes point into services_: a copy would point into the original.
  // A move keeps the services' addresses (the vector's buffer moves whole).
  DestinationTable(const DestinationTable&) = delete;
  DestinationTable& operator=(const DestinationTable&) = delete;
  DestinationTable(DestinationTable&&) = default;
  DestinationTable& operator=(DestinationTable&&) = default;

  /// The service whose addresses include `addr` (an original destination), or nullptr. A
  /// v4-mapped IPv6 address ([::ffff:10.0.0.1]) finds the IPv4 one.
  const Service* by_address(const boost::asio::ip::tcp::endpoint& addr) const noexcept;
  /// The service an authority names: "name", "name:port" (when the port is one of the service's
  /// addresses' ports), or a prefix of the name up to a dot ("web-svc.emojivoto" or "web-svc"
  /// match "web-svc.emojivoto.svc.cluster.local"), case-insensitively; a trailing dot is ignored.
  /// A full name wins over another service's prefix; a prefix that two services share matches
  /// neither. Or nullptr.
  const Service* by_authority(std::string_view authority) const noexcept;

  const std::vector<Service>& services() const noexcept { return services_; }
  bool empty() const noexcept { return services_.empty(); }

 private:
  struct AddrHash {
    std::size_t operator()(const boost::asio::ip::tcp::endpoint& e) const noexcept;
  };
  // Transparent, so that a lookup hashes a string_view and builds no std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  std::vector<Service> services_;
  std::unordered_map<boost::asio::ip::tcp::endpoint, const Service*, AddrHash> by_addr_;
  // Lower-cased names and their dot-prefixes; an ambiguous prefix maps to nullptr.
  std::unordered_map<std::string, const Service*, NameHash, std::equal_to<>> by_name_;
};

using TablePtr = std::shared_ptr<const DestinationTable>;

/// `addr` with a v4-mapped IPv6 address ([::ffff:10.0.0.1]:80) turned into IPv4 (10.0.0.1:80);
/// any other address unchanged. The table stores and looks up addresses in this form.
boost::asio::ip::tcp::endpoint canonical_addr(const boost::asio::ip::tcp::endpoint& addr) noexcept;

}  // namespace weft::discovery
