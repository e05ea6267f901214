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
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/balance/backoff.hpp"
#include "weft/balance/peak_ewma.hpp"
#include "weft/core/clock.hpp"
#include "weft/core/result.hpp"
#include "weft/discovery/table.hpp"

namespace weft::core {
struct QueueConfig;
struct BackoffConfig;
}  // namespace weft::core

namespace weft::metrics {
class BalancerGauges;
}

namespace weft::balance {

struct BalancerConfig {
  /// Waiting requests beyond this many are shed at once (errc::loadshed, 503).
  std::size_t queue_capacity = 10000;
  /// How long a request waits for a ready endpoint before failfast (errc::failfast, 504).
  std::chrono::milliseconds failfast_timeout{3000};
  BackoffParams connect_backoff;
};

/// The balancer settings of one direction's configuration (WEFT_PROXY_*_BALANCER_* and the
/// connect backoff).
BalancerConfig from_config(const core::QueueConfig& queue, const core::BackoffConfig& backoff);

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
  /// The connection to the endpoint is ready and the request goes out on it: the backoff resets,
  /// and the RTT is timed from here, as tower times it from call() after poll_ready. Connection
  /// setup is not latency: a first request that paid for a handshake would otherwise mark a
  /// healthy endpoint slow for the whole decay time.
  void connected(Clock::time_point now) noexcept;
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
  /// Must be owned by a shared_ptr (std::make_shared): leases, waiters and the backoff timer
  /// hold it. `gauges`, when set, receives this service's endpoint counts whenever they change.
  Balancer(const boost::asio::any_io_executor& executor, const discovery::Service& service,
           const BalancerConfig& config, std::uint64_t seed,
           metrics::BalancerGauges* gauges = nullptr);
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  /// Makes the endpoint set that of `service`: new endpoints join (with the default RTT), kept
  /// ones keep their estimate and pending count, gone ones drain.
  void update(const discovery::Service& service, Clock::time_point now);

  /// P2C over the ready endpoints, or nullptr when none is ready. No waiting, no allocation.
  EndpointState* pick(Clock::time_point now) noexcept;
  /// pick() and a lease on the endpoint picked, or an empty lease when none is ready. No waiting;
  /// no allocation.
  Lease try_acquire(Clock::time_point now) noexcept;

  /// A lease on a ready endpoint, waiting for one when none is ready: errc::loadshed when the
  /// queue is full, errc::failfast when none became ready within the failfast timeout (and at
  /// once while in failfast), asio::error::operation_aborted when the awaiting coroutine is
  /// cancelled while it waits. Runs on the balancer's executor.
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

  /// The service left the table (BalancerSet::sync): every endpoint drains, the gauge series goes,
  /// and waiting requests fail at once with errc::failfast, as later ones will.
  void retire() noexcept;

  /// The endpoints in the table, in the table's order (for tests and the admin).
  std::span<const std::shared_ptr<EndpointState>> endpoints() const noexcept { return endpoints_; }

 private:
  std::size_t pick_index(Clock::time_point now) noexcept;
  std::size_t pick_by_scan(Clock::time_point now) noexcept;
  std::size_t draw() noexcept;
  std::size_t better(std::size_t a, std::size_t b, Clock::time_point now) noexcept;
  void rebuild_weights();
  void wake_if_ready(Clock::time_point now) noexcept;
  void enter_failfast() noexcept;
  void publish_gauges(Clock::time_point now) noexcept;
  void arm_backoff_timer(Clock::time_point now) noexcept;
  void on_backoff_timer() noexcept;

  std::string service_name_;
  BalancerConfig config_;
  discovery::BalancerParams params_;
  std::vector<std::shared_ptr<EndpointState>> endpoints_;  // in the table (not removed)
  std::vector<std::uint64_t> cumulative_weights_;          // empty when all weights are equal
  std::minstd_rand rng_;
  boost::asio::steady_timer wake_;  // waiters park on it; cancelled when an endpoint gets ready
  /// Fires when the earliest connect backoff ends, to publish the gauge and wake waiters.
  boost::asio::steady_timer backoff_timer_;
  Clock::time_point backoff_timer_at_ = Clock::time_point::max();  // max: not armed
  metrics::BalancerGauges* gauges_ = nullptr;
  std::size_t published_ready_ = SIZE_MAX;  // what gauges_ holds; SIZE_MAX: nothing yet
  std::size_t published_pending_ = SIZE_MAX;
  std::size_t waiting_ = 0;
  bool failfast_ = false;
  bool retired_ = false;
};

/// The balancers of one worker, one per service, kept in step with the destination table.
class BalancerSet {
 public:
  /// `gauges`: where the balancers publish outbound_http_balancer_endpoints (the worker's
  /// metrics::Shard::balancer()), or nullptr.
  BalancerSet(const boost::asio::any_io_executor& executor, BalancerConfig config,
              std::uint64_t seed, metrics::BalancerGauges* gauges = nullptr);

  /// The balancer of `service`, made on first use. Call sync() first when the table changed.
  const std::shared_ptr<Balancer>& get(const discovery::Service& service);
  /// Brings every balancer in step with `table`: updates those whose service is in it and
  /// forgets the others (their leases keep them until the work in flight ends).
  void sync(const discovery::DestinationTable& table, Clock::time_point now) {
    sync(table.services(), now);
  }
  /// The same over a list of services (what a table holds).
  void sync(std::span<const discovery::Service> services, Clock::time_point now);

  /// Every balancer, for the endpoints gauge.
  const std::unordered_map<std::string, std::shared_ptr<Balancer>>& all() const noexcept {
    return by_service_;
  }

 private:
  boost::asio::any_io_executor executor_;
  BalancerConfig config_;
  std::uint64_t seed_;
  metrics::BalancerGauges* gauges_;
  std::unordered_map<std::string, std::shared_ptr<Balancer>> by_service_;
};

}  // namespace weft::balance
