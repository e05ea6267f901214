// One request/response exchange of the HTTP/1 proxy with the endpoint: take a pooled connection
// (or connect), send the request, relay the response, and give the connection back when both
// messages ended cleanly. A request whose body is all in hand is written with its head in one
// write; a longer body streams while the response is relayed (Expect: 100-continue, early
// responses). A reused connection that fails before any response byte gets a safe request sent
// again once on a fresh connection.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <variant>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/h1_proxy.hpp"
#include "weft/http/proxy_error.hpp"
#include "weft/net/connector.hpp"

namespace weft::http {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
}  // namespace

std::span<std::byte> H1ProxyConnection::ReadBuffer::space() noexcept {
  if (begin == end) {
    begin = end = 0;
  } else if (begin > 0 && end == lease.bytes().size()) {
    std::memmove(lease.bytes().data(), lease.bytes().data() + begin, end - begin);
    end -= begin;
    begin = 0;
  }
  return lease.bytes().subspan(end);
}

asio::awaitable<bool> H1ProxyConnection::exchange() {
  if (!endpoint_buf_.lease) endpoint_buf_.lease = ctx_.buffers->acquire();
  if (dest_ && policy_.retry) co_await buffer_for_replay();
  request_kept_ = request_.complete;  // the whole request is in to_endpoint_: it can be resent

  FailedAt failed_at = FailedAt::exchange;
  error_code ec;
  // Not a conditional expression: GCC 12 evaluates both arms of one that holds co_await.
  if (client_gone_) {
    ec = make_error_code(asio::error::eof);
  } else if (dest_) {
    ec = co_await routed_tries(failed_at);
  } else {
    ec = co_await direct_try(failed_at);
  }
  if (ec) {
    if (endpoint_) {
      endpoint_->close(ec, true);
      endpoint_.reset();
    }
    lease_ = {};
    if (client_gone_) {
      // The client went away (or its connection failed): nobody to answer.
      count_response(true);
      reset_client_ = true;
      co_return false;
    }
    if (response_.bytes_to_client) {
      // The response head is out: the client can only learn of the failure as a reset.
      count_response(true);
      reset_client_ = true;
      co_return false;
    }
    co_await respond_error(ec, failed_at);
    co_return !close_after_;
  }
  finish_exchange();
  co_return !close_after_;
}

// A request with no service in the destination table: to its original destination, with one
// more try on a fresh connection when a reused one failed before any response byte.
asio::awaitable<error_code> H1ProxyConnection::direct_try(FailedAt& failed_at) {
  endpoint_addr_ = target_;
  open_route(target_, {});
  route_.count_request();
  error_code ec = co_await acquire_endpoint(false);
  if (!ec) {
    ec = co_await attempt();
    ec = co_await resend_if_stale(ec);
  }
  if (ec && !endpoint_) failed_at = FailedAt::connect;
  co_return ec;
}

asio::awaitable<error_code> H1ProxyConnection::resend_if_stale(error_code ec) {
  if (!ec || ec == errc::retry_response || !retryable()) co_return ec;
  // A reused connection that the endpoint had closed: the same endpoint, a new connection.
  endpoint_->close(ec, true);
  endpoint_.reset();
  ec = co_await acquire_endpoint(true);
  if (!ec) ec = co_await attempt();
  co_return ec;
}

void H1ProxyConnection::count_response(bool stream_error) noexcept {
  route_.count_response({.status_code = response_.status,
                         .grpc_status = -1,
                         .classification = classify(response_.status, false, -1, stream_error),
                         .error = {}});
}

bool H1ProxyConnection::retryable() const noexcept {
  return endpoint_ && endpoint_->reused && !client_gone_ && !response_.bytes_to_client &&
         request_kept_ && request_.idempotent;
}

asio::awaitable<error_code> H1ProxyConnection::acquire_endpoint(bool fresh) {
  if (!fresh) {
    if (auto pooled =
            ctx_.h1_pool->take(endpoint_addr_, request_kept_ && request_.idempotent)) {
      endpoint_.emplace(std::move(*pooled));
      co_return error_code{};
    }
  }
  auto socket = co_await net::connect(endpoint_addr_, ctx_.connect_timeout);
  if (!socket) co_return socket.error();
  const discovery::Endpoint* known = lease_ ? &lease_.endpoint() : nullptr;
  net::Stream stream(std::move(*socket));
  if (tls::meshed(ctx_.mesh, known)) {
    if (auto ec = co_await tls::secure(*ctx_.mesh, stream, *known, ctx_.connect_timeout)) {
      spdlog::debug("{}: mTLS to {} ({}) failed: {}", metrics::to_string(ctx_.direction),
                   metrics::format_target_addr(endpoint_addr_), known->identity, ec.message());
      net::reset(stream);
      co_return ec;
    }
  }
  metrics::TcpTarget tcp_target{ctx_.direction, metrics::Peer::dst, endpoint_addr_,
                                ctx_.endpoint_tls_for(known)};
  if (known != nullptr) tcp_target.dst_labels = known->metric_labels;
  endpoint_.emplace(
      H1EndpointConn{std::move(stream), ctx_.metrics->open_tcp(tcp_target), false});
  co_return error_code{};
}

asio::awaitable<error_code> H1ProxyConnection::attempt() {
  response_ = {};
  to_client_.clear();
  endpoint_buf_.begin = endpoint_buf_.end = 0;
  response_parser_.reset();
  response_parser_.set_response_to_head(request_.head_method || request_.connect);
  if (auto ec = co_await write_endpoint(to_endpoint_)) co_return ec;
  if (request_.complete) co_return co_await relay_response();
  // The body is still arriving: it streams to the endpoint while the response is relayed. The
  // body sender parks once done, so only the response's end (or a failure) ends the race.
  to_endpoint_.clear();
  auto outcome = co_await (stream_request_body() || relay_response());
  co_return std::visit([](error_code e) { return e; }, outcome);
}

asio::awaitable<error_code> H1ProxyConnection::stream_request_body() {
  while (!request_.complete) {
    if (client_buf_.empty()) {
      const auto space = client_buf_.space();
      auto [ec, n] =
          co_await client_.async_read_some(asio::buffer(space.data(), space.size()), kAwait);
      if (ec) {
        // A client that vanishes mid-body: the endpoint must not take the cut body as whole.
        client_gone_ = true;
        if (ec != asio::error::eof) client_error_ = ec;
        co_return ec;
      }
      last_activity_ = Clock::now();
      client_metrics_.add_read(n);
      client_buf_.end += n;
    }
    if (auto ec = feed_request()) {
      request_error_ = ec;
      co_return ec;
    }
    if (!to_endpoint_.empty()) {
      auto ec = co_await write_endpoint(to_endpoint_);
      to_endpoint_.clear();
      if (ec) co_return ec;
    }
  }
  park_.expires_at(Clock::time_point::max());
  co_await park_.async_wait(kAwait);
  co_return error_code{};
}

asio::awaitable<error_code> H1ProxyConnection::relay_response() {
  bool eof = false;
  while (!response_.complete) {
    if (!endpoint_buf_.empty()) {
      auto consumed = response_parser_.feed(endpoint_buf_.unparsed());
      if (!consumed) co_return make_error_code(errc::bad_response);
      endpoint_buf_.begin += *consumed;
      if (response_parser_.upgraded() && !response_.upgrade) {
        co_return make_error_code(errc::bad_response);  // a 101 nobody asked for
      }
    } else if (eof) {
      // The endpoint closed: that ends a close-delimited body, and anything else too early.
      if (!response_parser_.finish() || !response_.complete) {
        co_return make_error_code(errc::endpoint_closed);
      }
      response_.endpoint_keep_alive = false;
    } else {
      const auto space = endpoint_buf_.space();
      auto [ec, n] = co_await endpoint_->stream.async_read_some(
          asio::buffer(space.data(), space.size()), kAwait);
      if (ec == asio::error::eof) {
        eof = true;
        continue;
      }
      if (ec) co_return ec;
      last_activity_ = Clock::now();
      endpoint_->metrics.add_read(n);
      endpoint_buf_.end += n;
      continue;
    }
    if (!to_client_.empty()) {
      if (response_.status != 0 && !response_.retry_checked) {
        // The final head is parsed and nothing of it went out: the route may want another try.
        response_.retry_checked = true;
        if (should_retry_response()) co_return make_error_code(errc::retry_response);
      }
      if (response_.status != 0) response_.bytes_to_client = true;
      auto ec = co_await write_client(to_client_);
      to_client_.clear();
      if (ec) {
        client_gone_ = true;
        client_error_ = ec;
        co_return ec;
      }
    }
  }
  co_return error_code{};
}

error_code H1ProxyConnection::feed_request() {
  auto consumed = request_parser_.feed(client_buf_.unparsed());
  if (!consumed) return consumed.error();
  client_buf_.begin += *consumed;
  return {};
}

asio::awaitable<error_code> H1ProxyConnection::write_client(std::string_view bytes) {
  auto [ec, n] = co_await asio::async_write(client_, asio::buffer(bytes), kAwait);
  client_metrics_.add_write(n);
  last_activity_ = Clock::now();
  co_return ec;
}

asio::awaitable<error_code> H1ProxyConnection::write_endpoint(std::string_view bytes) {
  auto [ec, n] = co_await asio::async_write(endpoint_->stream, asio::buffer(bytes), kAwait);
  endpoint_->metrics.add_write(n);
  last_activity_ = Clock::now();
  co_return ec;
}

void H1ProxyConnection::finish_exchange() {
  count_response(false);
  lease_ = {};
  if (!request_.complete) {
    close_after_ = true;
    linger_ = true;
  }
  if (response_.upgrade) return;  // the tunnel takes the endpoint and its leftover bytes
  const bool reusable = request_.complete && response_.endpoint_keep_alive &&
                        endpoint_buf_.empty() && !ctx_.drain->draining();
  if (reusable) {
    ctx_.h1_pool->put(endpoint_addr_, std::move(*endpoint_));
  } else {
    endpoint_->close();
  }
  endpoint_.reset();
  endpoint_buf_.lease.release();
}

}  // namespace weft::http
