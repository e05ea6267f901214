// The HTTP/1 proxy's connection loop: read a request head, run the exchange, repeat while the
// connection is kept alive; answer malformed requests and unreachable endpoints with the error
// table's response; end idle connections after the idle timeout and, once drain starts, at once.
#include "weft/http/h1_proxy.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/proxy_error.hpp"
#include "weft/net/connector.hpp"
#include "weft/net/duplex.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// After an error answer to a client that may still be sending (a header flood, a body nobody
// read), its bytes are read and dropped for a moment before the close: closing a socket with
// unread bytes sends a reset, which can destroy the answer before the client reads it.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr std::size_t kLingerBytes = 1024 * 1024;

}  // namespace

asio::awaitable<void> serve_h1(const HttpContext& ctx, net::Stream client, tcp::endpoint target,
                               std::span<const std::byte> detected,
                               metrics::TcpConnMetrics client_metrics) {
  H1ProxyConnection connection(ctx, std::move(client), target, detected, std::move(client_metrics));
  co_await connection.run();
}

H1ProxyConnection::H1ProxyConnection(const HttpContext& ctx, net::Stream client,
                                     tcp::endpoint target, std::span<const std::byte> detected,
                                     metrics::TcpConnMetrics client_metrics)
    : ctx_(ctx),
      client_(std::move(client)),
      target_(target),
      client_metrics_(std::move(client_metrics)),
      client_tls_(client_metrics_.tls_or(ctx.client_tls)),
      request_parser_(MessageKind::request, request_events_,
                      {.max_head_bytes = ctx.http1_max_head_bytes}),
      response_parser_(MessageKind::response, response_events_,
                       {.max_head_bytes = ctx.http1_max_head_bytes}),
      last_activity_(Clock::now()),
      park_(client_.get_executor()) {
  client_buf_.lease = ctx.buffers->acquire();
  // Detection reads at most 1 KiB, far less than a buffer.
  const auto n = std::min(detected.size(), client_buf_.lease.bytes().size());
  std::memcpy(client_buf_.lease.bytes().data(), detected.data(), n);
  client_buf_.end = n;
  client_metrics_.add_read(n);
}

asio::awaitable<void> H1ProxyConnection::run() {
  co_await (serve() || watchdog());
  if (endpoint_) {
    // Ended mid-exchange (idle timeout, a failure): the endpoint must not take it as complete.
    endpoint_->close({}, true);
    endpoint_.reset();
  }
  if (client_.is_open()) {
    if (reset_client_) {
      net::reset(client_);
    } else {
      // Unread bytes (a pipelined request after a `connection: close` one, a refused body) would
      // turn the close into a reset that can destroy the last response: read them away first.
      error_code ignored;
      if (linger_ || !client_buf_.empty() || client_.available(ignored) > 0) {
        co_await linger_close();
      }
      if (client_.tls()) client_.shutdown_send(ignored);  // close_notify, when it fits now
      client_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      client_.close();
    }
  }
  client_metrics_.close(client_error_);
}

asio::awaitable<void> H1ProxyConnection::serve() {
  for (;;) {
    close_after_ = false;
    if (co_await read_request_head() != ReadOutcome::head) co_return;
    phase_ = Phase::exchanging;
    const bool keep_going = co_await exchange();
    if (response_.upgrade && !reset_client_) {
      co_await tunnel();
      co_return;
    }
    if (!keep_going || close_after_) co_return;
  }
}

asio::awaitable<H1ProxyConnection::ReadOutcome> H1ProxyConnection::read_request_head() {
  request_ = {};
  for (;;) {
    if (!client_buf_.empty()) {
      if (request_parser_.upgraded()) co_return ReadOutcome::closed;
      if (auto ec = feed_request()) {
        linger_ = true;  // the client may still be sending what was refused
        co_await respond_error(ec);
        co_return ReadOutcome::failed;
      }
      if (request_.head_seen) co_return ReadOutcome::head;
      continue;
    }
    const bool between_requests = !request_parser_.in_message();
    if (between_requests && ctx_.drain->draining()) co_return ReadOutcome::closed;
    phase_ = between_requests ? Phase::waiting : Phase::exchanging;
    const auto space = client_buf_.space();
    auto [ec, n] =
        co_await client_.async_read_some(asio::buffer(space.data(), space.size()), kAwait);
    phase_ = Phase::exchanging;
    if (ec) {
      // End of stream between requests is the normal end; within a head it ends the connection
      // too (there is no request to answer).
      if (ec != asio::error::eof) client_error_ = ec;
      co_return ReadOutcome::closed;
    }
    last_activity_ = Clock::now();
    client_metrics_.add_read(n);
    client_buf_.end += n;
  }
}

void H1ProxyConnection::open_route(const tcp::endpoint& target,
                                   const discovery::Endpoint* endpoint) {
  metrics::HttpTarget t{ctx_.direction, authority_, target, ctx_.route_tls(client_tls_, endpoint)};
  if (endpoint != nullptr) t.dst_labels = endpoint->metric_labels;
  if (!route_ || !route_.matches(t)) route_ = ctx_.metrics->http().open_route(t);
}

asio::awaitable<void> H1ProxyConnection::respond_error(const error_code& ec, FailedAt at) {
  auto error = proxy_error(ec, at);
  spdlog::debug("{}: HTTP/1 request to {} answered {}: {}", metrics::to_string(ctx_.direction),
                metrics::format_target_addr(target_), error.http_status, error.message);
  ctx_.metrics->http().count_error(ctx_.direction, error.kind);
  if (request_.head_seen) {
    response_.status = error.http_status;
    observe_latency();
    route_.count_response({.status_code = error.http_status,
                           .grpc_status = -1,
                           .classification = classify(error.http_status, false, -1, false),
                           .error = error.error_label});
  }
  // The connection can carry another request only if this one was read to its end.
  close_after_ = close_after_ || error.close_connection || !request_.head_seen ||
                 !request_.complete || !request_.keep_alive || ctx_.drain->draining();
  if (!request_.complete) linger_ = true;
  error.close_connection = close_after_;
  to_client_.clear();
  append_h1_error_response(to_client_, error);
  if (auto write_error = co_await write_client(to_client_)) client_error_ = write_error;
  to_client_.clear();
}

asio::awaitable<void> H1ProxyConnection::tunnel() {
  phase_ = Phase::tunnel;
  // Bytes already read on either side belong to the new protocol: they go first.
  if (!client_buf_.empty()) {
    const auto bytes = client_buf_.unparsed();
    if (co_await write_endpoint({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
      reset_client_ = true;
      co_return;
    }
  }
  if (!endpoint_buf_.empty()) {
    const auto bytes = endpoint_buf_.unparsed();
    if (auto ec =
            co_await write_client({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
      client_error_ = ec;
      reset_client_ = true;
      co_return;
    }
  }
  client_buf_.lease.release();
  endpoint_buf_.lease.release();
  co_await net::duplex({client_, client_metrics_}, {endpoint_->stream, endpoint_->metrics},
                       {*ctx_.buffers, *ctx_.pipes}, ctx_.idle_timeout);
  endpoint_.reset();  // the duplex closed both sockets and both metrics handles
}

asio::awaitable<void> H1ProxyConnection::watchdog() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool drain_seen = false;
  for (;;) {
    const auto now = Clock::now();
    if (phase_ != Phase::tunnel) {
      if (drain_seen && phase_ == Phase::waiting) co_return;  // idle: close at once
      if (now >= last_activity_ + ctx_.idle_timeout) {
        client_error_ = make_error_code(errc::idle_timeout);
        co_return;
      }
    }
    // A tunnel has its own idle timeout (the duplex's); the watchdog only sleeps through it.
    timer.expires_at(phase_ == Phase::tunnel ? now + ctx_.idle_timeout
                                             : last_activity_ + ctx_.idle_timeout);
    if (drain_seen) {
      co_await timer.async_wait(kAwait);
    } else {
      auto woke = co_await (timer.async_wait(kAwait) || ctx_.drain->wait());
      drain_seen = woke.index() == 1;
    }
  }
}

asio::awaitable<void> H1ProxyConnection::linger_close() {
  error_code ignored;
  client_.shutdown_send(ignored);
  if (!client_buf_.lease) co_return;
  auto discard = [this]() -> asio::awaitable<void> {
    std::size_t total = 0;
    while (total < kLingerBytes) {
      auto space = client_buf_.lease.bytes();
      auto [ec, n] =
          co_await client_.async_read_some(asio::buffer(space.data(), space.size()), kAwait);
      if (ec) co_return;
      total += n;
    }
  };
  asio::steady_timer timer(co_await asio::this_coro::executor, kLingerTime);
  co_await (discard() || timer.async_wait(kAwait));
}

}  // namespace weft::http
