// The HTTP/1 proxy's requests to services in the destination table: each try goes to the
// endpoint the service's balancer picks (peak-EWMA, power of two choices), under the route's
// timeouts, and a response the route retries is dropped and the request sent again, within the
// retry limit and the service's retry budget, after Linkerd's 25-250 ms backoff. A request is
// resent only when it is whole in hand: bodies up to the 64 KiB replay limit are read ahead
// before the first try when the route retries; larger ones stream and are not retried.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <variant>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/h1_proxy.hpp"
#include "weft/http/retry_backoff.hpp"

namespace weft::http {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// Linkerd's replay limit: a larger request body streams and is not retried.
constexpr std::size_t kReplayLimit = 64 * 1024;
constexpr auto kNoDeadline = Clock::time_point::max();

}  // namespace

void H1ProxyConnection::route_request(const MessageHead& head) {
  dest_ = ctx_.router->resolve(target_, authority_);
  policy_ = {};
  if (!dest_) return;
  const auto* route = dest_.service->route_for(head.method, head.target);
  policy_ = policy_for(route);
  for (const auto& h : head.headers) {
    if (is_policy_header(h.name)) apply_policy_header(policy_, h.name, h.value);
  }
  if (!route_metrics_ || metrics_route_ != route || metrics_table_ != dest_.table.get()) {
    const std::string label = route == nullptr ? std::string() : route->metric_label();
    route_metrics_ = ctx_.metrics->routes().open(dest_.service->name, label);
    metrics_route_ = route;
    metrics_table_ = dest_.table.get();
  }
}

asio::awaitable<void> H1ProxyConnection::buffer_for_replay() {
  // Only what the client sends unasked: a client that waits for 100 Continue sends nothing more.
  while (!request_.complete && !request_.expect_continue && to_endpoint_.size() <= kReplayLimit) {
    if (client_buf_.empty()) {
      const auto space = client_buf_.space();
      auto [ec, n] =
          co_await client_.async_read_some(asio::buffer(space.data(), space.size()), kAwait);
      if (ec) {
        client_gone_ = true;
        if (ec != asio::error::eof) client_error_ = ec;
        co_return;
      }
      last_activity_ = Clock::now();
      client_metrics_.add_read(n);
      client_buf_.end += n;
    }
    if (auto ec = feed_request()) {
      request_error_ = ec;
      co_return;  // the request stream below reports it
    }
  }
}

asio::awaitable<error_code> H1ProxyConnection::routed_tries(FailedAt& failed_at) {
  const auto started = Clock::now();
  deadline_ = policy_.timeout.count() > 0 ? started + policy_.timeout : kNoDeadline;
  const bool limited = deadline_ != kNoDeadline || policy_.idle_timeout.count() > 0 ||
                       (policy_.retry && policy_.retry->per_try_timeout.count() > 0);
  dest_.budget->deposit(started);
  route_metrics_.count_request();
  tries_ = 0;
  for (;;) {
    // The balancer waits for a ready endpoint up to the failfast timeout.
    auto lease = co_await dest_.http_balancer->acquire();
    if (!lease) {
      open_route(target_, {});
      route_.count_request();
      count_route_outcome(lease.error(), FailedAt::exchange, started);
      co_return lease.error();
    }
    lease_ = std::move(*lease);
    endpoint_addr_ = lease_.endpoint().addr;
    open_route(endpoint_addr_, &lease_.endpoint());
    route_.count_request();
    route_metrics_.count_actual_request();

    const auto now = Clock::now();
    try_deadline_ = policy_.retry && policy_.retry->per_try_timeout.count() > 0
                        ? std::min(deadline_, now + policy_.retry->per_try_timeout)
                        : deadline_;
    error_code ec = co_await acquire_endpoint(false);
    if (ec) {
      lease_.connect_failed(Clock::now());
      failed_at = FailedAt::connect;
      // Nothing reached the endpoint: another endpoint may take the request, once.
      if (tries_ == 0 && dest_.service->endpoints.size() > 1) {
        ++tries_;
        count_response(true);
        failed_at = FailedAt::exchange;
        continue;
      }
      count_route_outcome(ec, failed_at, started);
      co_return ec;
    }
    lease_.connected(Clock::now());
    if (limited) {
      auto outcome = co_await (attempt() || limits_watch());
      ec = std::visit([](error_code e) { return e; }, outcome);
    } else {
      ec = co_await attempt();
    }
    ec = co_await resend_if_stale(ec);
    // A try that timed out before its response started is retried like a retryable response.
    const bool timed_out = ec == errc::response_timeout && !response_.bytes_to_client;
    if (ec != errc::retry_response && !(timed_out && should_retry_response())) {
      count_route_outcome(ec, failed_at, started);
      co_return ec;
    }
    // Another try: this one's response (or its timeout) is counted and dropped with its
    // connection, which is in the middle of a response.
    route_metrics_.count_actual_response({.status_code = response_.status,
                                          .grpc_status = -1,
                                          .classification = metrics::Classification::failure,
                                          .error = {}});
    count_response(ec != errc::retry_response);
    endpoint_->close(ec, true);
    endpoint_.reset();
    // A try that timed out is a sample too: the endpoint took at least that long.
    if (ec == errc::response_timeout) lease_.first_byte(Clock::now());
    lease_ = {};
    ++tries_;
    route_metrics_.count_retry();
    const auto backoff = retry_backoff(tries_, ctx_.router->rng());
    if (!co_await sleep_until(Clock::now() + backoff)) {
      const auto ec = make_error_code(errc::request_timeout);
      count_route_outcome(ec, FailedAt::exchange, started);
      co_return ec;
    }
  }
}

void H1ProxyConnection::count_route_outcome(const error_code& ec, FailedAt at,
                                            Clock::time_point started) noexcept {
  metrics::ResponseOutcome outcome{.status_code = response_.status,
                                   .grpc_status = -1,
                                   .classification = classify(response_.status, false, -1, false),
                                   .error = {}};
  if (ec) {
    const auto error = proxy_error(ec, at);
    if (!response_.bytes_to_client) outcome.status_code = error.http_status;
    outcome.classification = metrics::Classification::failure;
    outcome.error = error.error_label;
  } else {
    route_metrics_.observe_latency(response_.status, Clock::now() - started);
  }
  route_metrics_.count_actual_response(outcome);
  route_metrics_.count_response(outcome);
}

asio::awaitable<error_code> H1ProxyConnection::limits_watch() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto idle = policy_.idle_timeout;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline_) co_return make_error_code(errc::request_timeout);
    if (now >= try_deadline_) co_return make_error_code(errc::response_timeout);
    auto next = try_deadline_;
    if (idle.count() > 0) {
      if (now >= last_activity_ + idle) co_return make_error_code(errc::response_timeout);
      next = std::min(next, last_activity_ + idle);
    }
    timer.expires_at(next);
    co_await timer.async_wait(kAwait);
  }
}

asio::awaitable<bool> H1ProxyConnection::sleep_until(Clock::time_point at) {
  if (at >= deadline_) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor, at);
  co_await timer.async_wait(kAwait);
  co_return true;
}

bool H1ProxyConnection::should_retry_response() {
  if (!dest_ || !policy_.retry) return false;
  const bool timed_out = response_.status == 0;  // a try's timeout, before any response head
  if (!timed_out && !policy_.retry->on.retries_http(response_.status)) return false;
  if (tries_ >= policy_.retry->limit) {
    route_metrics_.count_retry_skipped(metrics::RetrySkip::limit);
    return false;
  }
  if (!request_kept_) {
    route_metrics_.count_retry_skipped(metrics::RetrySkip::body);
    return false;
  }
  if (!dest_.budget->try_withdraw(Clock::now())) {
    route_metrics_.count_retry_skipped(metrics::RetrySkip::budget);
    return false;
  }
  return true;
}

}  // namespace weft::http
