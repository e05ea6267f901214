// Per-request load balancing over one service's endpoints, on one worker: power of two choices
// over Peak-EWMA cost (balance/peak_ewma.hpp), weights honoured, endpoints in connect backoff
// skipped. A request with no ready endpoint waits in a bounded queue; when none becomes ready
// within the failfast timeout the balancer is in failfast and answers at once until one does
// (Linkerd's failfast and load shedding). Endpoints that leave the table drain: their in-flight
// work finishes and no new work is sent to them. Everything here lives on its worker's thread,
// so nothing is locked.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/balance/backoff.hpp"
#include "weft/balance/peak_ewma.hpp"
#include "weft/core/clock.hpp"
#include "weft/core/result.hpp"
#include "weft/discovery/table.hpp"

namespace weft::balance {

struct BalancerConfig {
  /// Waiting requests beyond this many are shed at once (errc::loadshed, 503).
  std::size_t queue_capacity = 10000;
  /// How long a request waits for a ready endpoint before failfast (errc::failfast, 504).
  std::chrono::milliseconds failfast_timeout{3000};
  BackoffParams connect_backoff;
};

/// One endpoint as one worker's balancer sees it.
struct EndpointState {
  EndpointState(const discovery::Endpoint& meta, const discovery::BalancerParams& params,
                Clock::time_point now);
  discovery::Endpoint meta;
  PeakEwma ewma;
  std::uint32_t pending = 0;            // picked and no first byte yet
  std::uint32_t connect_failures = 0;   // consecutive
  Clock::time_point backoff_until{};    // not ready before this
  bool removed = false;                 // left the table: drains, gets no new work

  bool ready(Clock::time_point now) const noexcept { return !removed && now >= backoff_until; }
};

class Balancer;

/// One request's (or one opaque connection's) hold on the endpoint it was sent to. It counts as
/// pending until first_byte() or until it is released (or destroyed). Move-only.
class Lease {
 public:
  Lease() = default;
  Lease(std::shared_ptr<EndpointState> endpoint, std::shared_ptr<Balancer> balancer,
        Clock::time_point now) noexcept;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  explicit operator bool() const noexcept { return endpoint_ != nullptr; }
  const discovery::Endpoint& endpoint() const noexcept { return endpoint_->meta; }

  /// The first response byte arrived: the time since the pick is an RTT sample; no longer pending.
  void first_byte(Clock::time_point now) noexcept;
  /// The connection to the endpoint was made: its backoff resets.
  void connected() noexcept;
  /// The connection to the endpoint failed: it backs off (not ready until the backoff passes)
  /// and this lease is released.
  void connect_failed(Clock::time_point now) noexcept;
  /// No longer pending, with no sample (the request failed or was cancelled).
  void release() noexcept;

 private:
  std::shared_ptr<EndpointState> endpoint_;
  std::shared_ptr<Balancer> balancer_;  // for the backoff parameters and to wake waiters
  Clock::time_point picked_{};
  bool pending_ = false;
};

/// The balancer of one service on one worker. Made by BalancerSet; shared with the leases.
class Balancer : public std::enable_shared_from_this<Balancer> {
 public:
  Balancer(const boost::asio::any_io_executor& executor, const discovery::Service& service,
           const BalancerConfig& config, std::uint64_t seed);

  /// Makes the endpoint set that of `service`: new endpoints join (with the default RTT), kept
  /// ones keep their estimate and pending count, gone ones drain.
  void update(const discovery::Service& service, Clock::time_point now);

  /// P2C over the ready endpoints, or nullptr when none is ready. No waiting, no allocation.
  EndpointState* pick(Clock::time_point now) noexcept;

  /// A lease on a ready endpoint, waiting for one when none is ready: errc::loadshed when the
  /// queue is full, errc::failfast when none became ready within the failfast timeout (and at
  /// once while in failfast).
  boost::asio::awaitable<result<Lease>> acquire();

  /// The gauge outbound_http_balancer_endpoints{endpoint_state="ready|pending"}: endpoints in the
  /// table that are ready, and those in connect backoff.
  std::size_t ready_endpoints(Clock::time_point now) const noexcept;
  std::size_t pending_endpoints(Clock::time_point now) const noexcept;
  bool in_failfast() const noexcept { return failfast_; }
  const std::string& service_name() const noexcept { return service_name_; }

  // For Lease.
  void on_connect_failed(EndpointState& endpoint, Clock::time_point now) noexcept;
  void on_ready_changed() noexcept;

 private:
  std::string service_name_;
  BalancerConfig config_;
  discovery::BalancerParams params_;
  std::vector<std::shared_ptr<EndpointState>> endpoints_;  // in the table (not removed)
  std::vector<std::uint64_t> cumulative_weights_;          // empty when all weights are equal
  std::minstd_rand rng_;
  boost::asio::steady_timer wake_;  // waiters park on it; cancelled when an endpoint gets ready
  std::size_t waiting_ = 0;
  bool failfast_ = false;
};

/// The balancers of one worker, one per service, kept in step with the destination table.
class BalancerSet {
 public:
  BalancerSet(const boost::asio::any_io_executor& executor, BalancerConfig config,
              std::uint64_t seed);

  /// The balancer of `service`, made on first use. Call sync() first when the table changed.
  const std::shared_ptr<Balancer>& get(const discovery::Service& service);
  /// Brings every balancer in step with `table`: updates those whose service is in it and
  /// forgets the others (their leases keep them until the work in flight ends).
  void sync(const discovery::DestinationTable& table, Clock::time_point now);

  /// Every balancer, for the endpoints gauge.
  const std::unordered_map<std::string, std::shared_ptr<Balancer>>& all() const noexcept {
    return by_service_;
  }

 private:
  boost::asio::any_io_executor executor_;
  BalancerConfig config_;
  std::uint64_t seed_;
  std::unordered_map<std::string, std::shared_ptr<Balancer>> by_service_;
};

}  // namespace weft::balance
