// The HTTP/2 proxy's requests to services in the destination table: each stream goes to the
// endpoint its service's balancer picks (per request, so one client connection spreads over all
// endpoints), waits in the balancer's queue when none is ready (failfast and load shedding), is
// bounded by its route's timeouts, and is sent again when the endpoint's response head is one
// the route retries (an HTTP status, or a gRPC status in a trailers-only response), within the
// retry limit and budget, when its whole request body is in the 64 KiB replay buffer.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/h2_client.hpp"
#include "weft/http/h2_client_pool.hpp"
#include "weft/http/h2_server.hpp"
#include "weft/http/retry_backoff.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kReplayLimit = 64 * 1024;
constexpr std::size_t kMaxRouteMetrics = 16;

}  // namespace

bool H2Server::route_stream(H2Stream& s) {
  auto authority = s.request.get(":authority");
  if (authority.empty()) authority = s.request.get("host");
  s.dest = ctx_.router->resolve(target_, authority);
  if (!s.dest) return false;
  const auto* route = s.dest.service->route_for(s.request.get(":method"), s.request.get(":path"));
  s.policy = policy_for(route);
  // Per-request overrides, then the fields go: they are for this proxy only.
  // (HeaderBlock names are lower-case, as HTTP/2 requires.)
  for (std::size_t i = 0; i < kPolicyHeaderNames.size(); ++i) {
    const auto value = s.request.get(kPolicyHeaderNames[i]);
    if (!value.empty()) apply_policy_header(s.policy, kPolicyHeaderNames[i], value);
  }
  s.route_metrics = route_metrics_for(s, route);
  if (s.route_metrics != nullptr) s.route_metrics->count_request();
  s.dest.budget->deposit(Clock::now());
  if (s.policy.timeout.count() > 0 || s.policy.idle_timeout.count() > 0) {
    s.last_activity = s.started;
    asio::co_spawn(ctx_.h2_pool->executor(), watch_deadline(&s, s.serial), asio::detached);
  }
  return true;
}

metrics::RouteMetrics* H2Server::route_metrics_for(H2Stream& s, const discovery::Route* route) {
  if (ctx_.metrics == nullptr) return nullptr;
  for (auto& cached : route_metrics_) {
    if (cached->table == s.dest.table.get() && cached->route == route) return &cached->metrics;
  }
  const std::string label = route == nullptr ? std::string() : route->metric_label();
  auto handle = ctx_.metrics->routes().open(s.dest.service->name, label);
  if (route_metrics_.size() < kMaxRouteMetrics) {
    route_metrics_.push_back(std::make_unique<CachedRouteMetrics>(
        CachedRouteMetrics{s.dest.table.get(), route, std::move(handle)}));
    return &route_metrics_.back()->metrics;
  }
  // The connection's cache is full: the stream keeps its own handle (streams hold pointers to
  // the cached ones, so none is ever evicted).
  s.own_route_metrics = std::move(handle);
  return &s.own_route_metrics;
}

void H2Server::dispatch(H2Stream& s) {
  auto lease = s.dest.http_balancer->try_acquire(Clock::now());
  if (!lease) {
    // No ready endpoint: the stream waits in the balancer's queue (or fails at once).
    asio::co_spawn(ctx_.h2_pool->executor(), wait_for_endpoint(&s, s.serial), asio::detached);
    return;
  }
  send_to(s, std::move(lease));
}

void H2Server::send_to(H2Stream& s, balance::Lease lease) {
  s.lease = std::move(lease);
  const auto& endpoint = s.lease.endpoint();
  s.route = route_for(s, endpoint.addr, &endpoint);
  s.counted = false;
  if (s.route != nullptr) s.route->count_request();
  if (s.route_metrics != nullptr) s.route_metrics->count_actual_request();
  if (s.policy.retry && s.policy.retry->per_try_timeout.count() > 0) {
    asio::co_spawn(ctx_.h2_pool->executor(), watch_try(&s, s.serial, s.tries), asio::detached);
  }
  ctx_.h2_pool->connection(ctx_, endpoint.addr, &endpoint).add_stream(s);
}

asio::awaitable<void> H2Server::wait_for_endpoint(H2Stream* s, std::uint64_t serial) {
  auto balancer = s->dest.http_balancer;  // the stream may go while this waits
  auto lease = co_await balancer->acquire();
  if (s->serial != serial || s->server != this) co_return;  // the client gave up
  if (!lease) {
    s->route = route_for(*s, target_, {});
    if (s->route != nullptr) s->route->count_request();
    count_route_outcome(*s, lease.error());
    answer_proxy_error(*s, lease.error(), FailedAt::exchange);
    co_return;
  }
  send_to(*s, std::move(*lease));
}

asio::awaitable<void> H2Server::watch_deadline(H2Stream* s, std::uint64_t serial) {
  // The whole request's deadline and the route's idle timeout (no DATA either way for that long).
  asio::steady_timer timer(ctx_.h2_pool->executor());
  const auto deadline = s->policy.timeout.count() > 0 ? s->started + s->policy.timeout
                                                      : Clock::time_point::max();
  const auto idle = s->policy.idle_timeout;
  for (;;) {
    timer.expires_at(idle.count() > 0 ? std::min(deadline, s->last_activity + idle) : deadline);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (s->serial != serial || s->server != this || s->response_end) co_return;
    const auto now = Clock::now();
    error_code ec;
    if (now >= deadline) {
      ec = make_error_code(errc::request_timeout);
    } else if (idle.count() > 0 && now >= s->last_activity + idle) {
      ec = make_error_code(errc::response_timeout);
    } else {
      continue;  // there was activity: wait for the new idle deadline
    }
    count_route_outcome(*s, ec);
    if (s->endpoint != nullptr) s->endpoint->cancel_stream(*s, NGHTTP2_CANCEL);
    fail_stream(*s, ec, NGHTTP2_NO_ERROR);
    want_write();
    co_return;
  }
}

void H2Server::keep_for_replay(H2Stream& s, std::span<const std::uint8_t> bytes) {
  if (s.policy.idle_timeout.count() > 0) s.last_activity = Clock::now();
  if (!s.dest || !s.policy.retry || s.replay_overflow) return;
  if (s.replay.size() + bytes.size() > kReplayLimit) {
    s.replay_overflow = true;
    s.replay.clear();
    s.replay.shrink_to_fit();
    return;
  }
  s.replay.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool H2Server::retry_response(H2Stream& s, bool end_stream) {
  if (!s.dest || !s.policy.retry) return false;
  const auto& on = s.policy.retry->on;
  // A gRPC status in the head counts only in a trailers-only response (the head ends the stream).
  const bool wanted = on.retries_http(s.status) ||
                      (s.grpc && end_stream && s.grpc_status >= 0 && on.retries_grpc(s.grpc_status));
  if (!wanted || !may_retry(s)) return false;
  retry(s);
  return true;
}

bool H2Server::may_retry(H2Stream& s) {
  auto* rm = s.route_metrics;
  const auto skip = [&](metrics::RetrySkip why) {
    if (rm != nullptr) rm->count_retry_skipped(why);
    return false;
  };
  if (s.tries >= s.policy.retry->limit) return skip(metrics::RetrySkip::limit);
  if (!s.request_end || s.replay_overflow) return skip(metrics::RetrySkip::body);
  if (!s.dest.budget->try_withdraw(Clock::now())) return skip(metrics::RetrySkip::budget);
  return true;
}

void H2Server::retry(H2Stream& s) {
  // This try is counted (status 0: it timed out before its head) and dropped; the request goes
  // again after the backoff.
  const metrics::ResponseOutcome dropped{.status_code = s.status,
                                         .grpc_status = s.grpc_status,
                                         .classification = metrics::Classification::failure,
                                         .error = s.status == 0 ? "timeout" : ""};
  if (s.route != nullptr) s.route->count_response(dropped);
  if (auto* rm = s.route_metrics) {
    rm->count_actual_response(dropped);
    rm->count_retry();
  }
  s.counted = true;  // until send_to opens the next try's series
  // A try that timed out is a sample too: the endpoint took at least that long.
  if (s.status == 0 && s.lease) s.lease.first_byte(Clock::now());
  s.lease = {};
  if (s.endpoint != nullptr) s.endpoint->cancel_stream(s, NGHTTP2_CANCEL);
  s.response.clear();
  s.response_trailers.clear();
  s.response_body.clear();
  s.response_headers_done = s.response_end = false;
  s.status = 0;
  s.grpc_status = -1;
  // What went to the endpoint was credited to the client's window when it went; sent again, it
  // must not be credited twice.
  s.replay_credited += s.replay.size() - s.request_body.size();
  s.request_body.clear();
  s.request_body.append(*ctx_.buffers, {reinterpret_cast<const std::uint8_t*>(s.replay.data()),
                                        s.replay.size()});
  s.request_body_started = false;
  s.request_deferred = false;
  ++s.tries;
  asio::co_spawn(ctx_.h2_pool->executor(),
                 retry_after(&s, s.serial, retry_backoff(s.tries, ctx_.router->rng())),
                 asio::detached);
}

asio::awaitable<void> H2Server::watch_try(H2Stream* s, std::uint64_t serial, std::uint32_t tries) {
  asio::steady_timer timer(ctx_.h2_pool->executor(),
                           Clock::now() + s->policy.retry->per_try_timeout);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  // Still this stream, still this try, and no response head yet: the try timed out.
  if (s->serial != serial || s->server != this || s->tries != tries ||
      s->response_headers_done || s->response_end) {
    co_return;
  }
  if (may_retry(*s)) {
    retry(*s);
    co_return;
  }
  const auto ec = make_error_code(errc::response_timeout);
  count_route_outcome(*s, ec);
  if (s->endpoint != nullptr) s->endpoint->cancel_stream(*s, NGHTTP2_CANCEL);
  fail_stream(*s, ec, NGHTTP2_NO_ERROR);
  want_write();
}

asio::awaitable<void> H2Server::retry_after(H2Stream* s, std::uint64_t serial,
                                            std::chrono::nanoseconds delay) {
  asio::steady_timer timer(ctx_.h2_pool->executor(),
                           std::chrono::duration_cast<Clock::duration>(delay));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (s->serial != serial || s->server != this) co_return;
  dispatch(*s);
}

void H2Server::count_route_outcome(H2Stream& s, const error_code& ec) noexcept {
  if (s.route_metrics == nullptr) return;
  const auto error = proxy_error(ec, FailedAt::exchange);
  const metrics::ResponseOutcome outcome{.status_code = error.http_status,
                                         .grpc_status = s.grpc ? error.grpc_status : -1,
                                         .classification = metrics::Classification::failure,
                                         .error = error.error_label};
  s.route_metrics->count_actual_response(outcome);
  s.route_metrics->count_response(outcome);
  s.route_metrics = nullptr;  // counted: the stream's close counts nothing more
}

void H2Server::count_route_response(H2Stream& s, const metrics::ResponseOutcome& outcome) noexcept {
  if (s.route_metrics == nullptr) return;
  s.route_metrics->count_actual_response(outcome);
  s.route_metrics->count_response(outcome);
  if (outcome.classification == metrics::Classification::success || outcome.status_code != 0) {
    s.route_metrics->observe_latency(outcome.status_code, Clock::now() - s.started);
  }
  s.route_metrics = nullptr;
}

}  // namespace weft::http
