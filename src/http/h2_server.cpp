#include "weft/http/h2_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "weft/http/classify.hpp"
#include "weft/http/h2_client.hpp"
#include "weft/http/h2_client_pool.hpp"
#include "weft/http/proxy_error.hpp"
#include "weft/http/request_policy.hpp"
#include "weft/net/connector.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

// Route handles a connection keeps (one per authority it saw); beyond that a stream opens its own.
constexpr std::size_t kMaxRoutes = 16;

metrics::HttpMetrics* http_metrics(const HttpContext& ctx) {
  return ctx.metrics != nullptr ? &ctx.metrics->http() : nullptr;
}

H2Server& self(void* user_data) { return *static_cast<H2Server*>(user_data); }

std::string_view as_view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

int on_begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return self(user_data).on_begin_headers(frame);
}

int on_header_cb(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                 std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                 std::uint8_t, void* user_data) {
  return self(user_data).on_header(frame, as_view(name, namelen), as_view(value, valuelen));
}

int on_frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return self(user_data).on_frame_recv(frame);
}

int on_data_chunk_cb(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                     const std::uint8_t* data, std::size_t len, void* user_data) {
  return self(user_data).on_data_chunk(stream_id, data, len);
}

int on_stream_close_cb(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                       void* user_data) {
  return self(user_data).on_stream_close(stream_id, error_code);
}

ssize_t read_body_cb(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* data_flags, nghttp2_data_source*,
                     void* user_data) {
  // The stream is looked up, not taken from the source: a detached stream may be reused.
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (s == nullptr) return NGHTTP2_ERR_DEFERRED;
  return self(user_data).read_response_body(*s, buf, length, data_flags);
}

const nghttp2_session_callbacks* server_callbacks() {
  static const auto* callbacks = [] {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close_cb);
    return cbs;
  }();
  return callbacks;
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

H2Server::H2Server(const HttpContext& ctx, net::Stream stream, tcp::endpoint target,
                   metrics::TcpConnMetrics metrics)
    : H2Connection(std::move(stream), std::move(metrics), *ctx.buffers, ctx.config->h2_server,
                   ctx.idle_timeout),
      ctx_(ctx),
      target_(std::move(target)),
      client_tls_(metrics_.tls_or(ctx.client_tls)) {
  set_session(make_session(true, server_callbacks(), this, ctx.config->h2_server));
}

H2Server::~H2Server() {
  while (!streams_.empty()) {
    H2Stream& s = streams_.front();
    count_response(s, NGHTTP2_CANCEL);
    if (s.endpoint != nullptr) s.endpoint->cancel_stream(s, NGHTTP2_CANCEL);
    detach(s);
  }
}

asio::awaitable<void> H2Server::serve(std::span<const std::byte> initial) {
  auto outcome = co_await (run(initial) || watch_drain());
  error_code ec;
  if (outcome.index() == 0) ec = std::get<0>(outcome);
  while (!streams_.empty()) {
    H2Stream& s = streams_.front();
    count_response(s, NGHTTP2_CANCEL);
    if (s.endpoint != nullptr) s.endpoint->cancel_stream(s, NGHTTP2_CANCEL);
    detach(s);
  }
  if (ec) net::reset(stream_);
  metrics_.close(ec);
}

asio::awaitable<void> H2Server::watch_drain() {
  if (ctx_.drain != nullptr) {
    co_await ctx_.drain->wait();
  }
  if (ctx_.drain != nullptr && ctx_.drain->draining()) {
    // RFC 9113 §6.8: announce the shutdown, give the client a round trip (a PING) to stop
    // opening streams, then name the last stream that will be processed.
    nghttp2_submit_shutdown_notice(session());
    ping_for_drain();
  }
  asio::steady_timer forever(stream_.get_executor(), Clock::time_point::max());
  co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
}

void H2Server::on_drain_ping_ack() noexcept { go_away(NGHTTP2_NO_ERROR); }

int H2Server::on_begin_headers(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  H2Stream* s = ctx_.h2_pool->acquire_stream();
  s->server = this;
  s->client_id = frame->hd.stream_id;
  s->started = Clock::now();
  streams_.push_back(*s);
  ++stream_count_;
  nghttp2_session_set_stream_user_data(session(), s->client_id, s);
  return 0;
}

int H2Server::on_header(const nghttp2_frame* frame, std::string_view name,
                        std::string_view value) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* s = static_cast<H2Stream*>(
      nghttp2_session_get_stream_user_data(session(), frame->hd.stream_id));
  if (s == nullptr) return 0;
  const std::size_t limit = ctx_.config->h2_server.max_header_list_size;
  const bool trailers = frame->headers.cat != NGHTTP2_HCAT_REQUEST;
  HeaderBlock& block = trailers ? s->request_trailers : s->request;
  if (block.list_size() + name.size() + value.size() + 32 > limit) {
    // The head goes on being decoded (HPACK state must stay in step) but is not kept; the
    // request is answered 431 once its head ends. Trailers that big reset the stream.
    if (trailers) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->request_too_large = true;
    return 0;
  }
  if (!s->request_too_large) block.add(name, value);
  return 0;
}

int H2Server::on_frame_recv(const nghttp2_frame* frame) {
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA: {
      auto* s = static_cast<H2Stream*>(
          nghttp2_session_get_stream_user_data(session(), frame->hd.stream_id));
      if (s == nullptr) break;
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) s->request_end = true;
      if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        start_request(*s);
      } else if (s->request_end && s->endpoint != nullptr) {
        s->endpoint->resume_request(*s);
      }
      break;
    }
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) on_ping_ack(frame->ping.opaque_data);
      break;
    default:
      break;
  }
  return 0;
}

int H2Server::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session(), stream_id));
  if (s != nullptr && s->endpoint == nullptr && s->dest && s->server == this && !s->response_end) {
    // A routed stream between tries or waiting for an endpoint: its body waits for the next one.
    keep_for_replay(*s, {data, len});
    s->request_body.append(*ctx_.buffers, {data, len});
    return 0;
  }
  if (s == nullptr || s->endpoint == nullptr) {
    // Nobody will read these bytes: give the window back at once.
    nghttp2_session_consume(session(), stream_id, len);
    return 0;
  }
  keep_for_replay(*s, {data, len});
  s->request_body.append(*ctx_.buffers, {data, len});
  s->endpoint->resume_request(*s);
  return 0;
}

int H2Server::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session(), stream_id));
  if (s == nullptr) return 0;
  count_response(*s, error_code);
  if (s->endpoint != nullptr &&
      (error_code != NGHTTP2_NO_ERROR || !s->response_end || !s->request_end)) {
    // The client reset (or went away): the endpoint learns with the same code. A client that
    // resets with NO_ERROR after a complete response (as gRPC does when the server answered
    // before the request ended) still ends the endpoint stream, with NO_ERROR, or that stream's
    // request side would stay open there for ever.
    std::uint32_t code = error_code;
    if (code == NGHTTP2_NO_ERROR && !s->response_end) code = NGHTTP2_CANCEL;
    s->endpoint->cancel_stream(*s, code);
  }
  detach(*s);
  return 0;
}

void H2Server::start_request(H2Stream& s) {
  s.grpc = is_grpc_content_type(s.request.get("content-type"));
  // The proxy's own fields are never taken from a client; an mTLS client's verified identity
  // goes to the application as weft-client-id.
  // (route_stream reads the weft-* policy fields first.)
  const bool routed = !s.request_too_large && ctx_.router != nullptr && route_stream(s);
  s.request.drop_if(is_proxy_request_header);
  if (const auto id = client_id(ctx_, client_tls_); !id.empty()) s.request.add(kClientIdHeader, id);
  if (routed) {
    dispatch(s);
    return;
  }
  s.route = route_for(s, target_, {});
  if (s.route != nullptr) s.route->count_request();
  if (s.request_too_large) {
    answer(s, 431, "request header list too large", "request header list too large");
    s.error = "bad request";
    if (auto* m = http_metrics(ctx_)) {
      m->count_error(ctx_.direction, metrics::HttpErrorKind::bad_request);
    }
    return;
  }
  ctx_.h2_pool->connection(ctx_, target_).add_stream(s);
}

metrics::HttpRoute* H2Server::route_for(H2Stream& s, const tcp::endpoint& endpoint,
                                        const discovery::Endpoint* known) {
  auto* m = http_metrics(ctx_);
  if (m == nullptr) return nullptr;
  auto authority = s.request.get(":authority");
  if (authority.empty()) authority = s.request.get("host");
  metrics::HttpTarget target{ctx_.direction, authority, endpoint,
                             ctx_.route_tls(client_tls_, known)};
  if (known != nullptr) target.dst_labels = known->metric_labels;
  for (auto& r : routes_) {
    if (r->matches(target)) return r.get();
  }
  if (routes_.size() < kMaxRoutes) {
    routes_.push_back(std::make_unique<metrics::HttpRoute>(m->open_route(target)));
    return routes_.back().get();
  }
  s.own_route = m->open_route(target);
  return &s.own_route;
}

void H2Server::answer(H2Stream& s, unsigned status, std::string_view message,
                      std::string_view error_header) {
  std::array<char, 8> status_text{};
  const auto end = std::to_chars(status_text.data(), status_text.data() + 3, status).ptr;
  const std::array<nghttp2_nv, 3> nva = {
      make_nv(":status", {status_text.data(), static_cast<std::size_t>(end - status_text.data())}),
      make_nv("content-type", "text/plain"), make_nv("weft-proxy-error", error_header)};
  s.status = status;
  s.response_headers_done = s.response_submitted = s.response_end = true;
  const auto* body = reinterpret_cast<const std::uint8_t*>(message.data());
  s.response_body.append(*ctx_.buffers, {body, message.size()});
  static constexpr std::uint8_t kNewline = '\n';
  s.response_body.append(*ctx_.buffers, {&kNewline, 1});
  nghttp2_data_provider provider{};
  provider.read_callback = read_body_cb;
  nghttp2_submit_response(session(), s.client_id, nva.data(), nva.size(), &provider);
  want_write();
}

void H2Server::answer_proxy_error(H2Stream& s, const error_code& ec, FailedAt at) {
  const ProxyError e = proxy_error(ec, at);
  s.error = e.error_label;
  if (auto* m = http_metrics(ctx_)) m->count_error(ctx_.direction, e.kind);
  if (!s.grpc) {
    answer(s, e.http_status, e.message, e.message);
    return;
  }
  // gRPC reads its status from the (trailers-only) response: HTTP 200 with grpc-status.
  std::array<char, 8> grpc_status{};
  const auto end = std::to_chars(grpc_status.data(), grpc_status.data() + 4, e.grpc_status).ptr;
  const std::array<nghttp2_nv, 5> nva = {
      make_nv(":status", "200"), make_nv("content-type", "application/grpc"),
      make_nv("grpc-status",
              {grpc_status.data(), static_cast<std::size_t>(end - grpc_status.data())}),
      make_nv("grpc-message", e.message), make_nv("weft-proxy-error", e.message)};
  s.status = 200;
  s.grpc_status = e.grpc_status;
  s.response_headers_done = s.response_submitted = s.response_end = true;
  nghttp2_submit_response(session(), s.client_id, nva.data(), nva.size(), nullptr);
  want_write();
}

void H2Server::submit_response(H2Stream& s) noexcept {
  const auto nva = s.response.nva();
  if (!s.response_headers_done) {
    // An interim (1xx) head goes on as is; the final one follows.
    nghttp2_submit_headers(session(), NGHTTP2_FLAG_NONE, s.client_id, nullptr, nva.data(),
                           nva.size(), nullptr);
    want_write();
    return;
  }
  s.response_submitted = true;
  const bool headers_only =
      s.response_end && s.response_body.empty() && s.response_trailers.count() == 0;
  nghttp2_data_provider provider{};
  provider.read_callback = read_body_cb;
  const int rv = nghttp2_submit_response(session(), s.client_id, nva.data(), nva.size(),
                                         headers_only ? nullptr : &provider);
  if (rv != 0) {
    spdlog::debug("h2: cannot forward response head: {}", nghttp2_strerror(rv));
    nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, s.client_id, NGHTTP2_INTERNAL_ERROR);
  }
  if (headers_only && s.route != nullptr && !s.latency_observed) {
    s.latency_observed = true;
    s.route->observe_latency(s.status, Clock::now() - s.started);
  }
  want_write();
}

void H2Server::resume_response(H2Stream& s) noexcept {
  if (!s.response_deferred) return;
  s.response_deferred = false;
  nghttp2_session_resume_data(session(), s.client_id);
  want_write();
}

void H2Server::consumed(H2Stream& s, std::size_t n) noexcept {
  nghttp2_session_consume(session(), s.client_id, n);
  want_write();
}

void H2Server::fail_stream(H2Stream& s, const error_code& ec, std::uint32_t code,
                           FailedAt at) noexcept {
  if (at == FailedAt::connect && s.lease) s.lease.connect_failed(Clock::now());
  if (!s.response_submitted) {
    if (code != NGHTTP2_NO_ERROR) {
      // The endpoint reset the stream: so does the proxy, with the same code.
      s.error = h2_error_label(code);
      nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, s.client_id, code);
      want_write();
      return;
    }
    answer_proxy_error(s, ec, at);
    return;
  }
  if (s.response_end) return;  // the whole response is here; it goes out as it is
  s.error = h2_error_label(code != NGHTTP2_NO_ERROR ? code : std::uint32_t{NGHTTP2_INTERNAL_ERROR});
  nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, s.client_id,
                            code != NGHTTP2_NO_ERROR ? code : std::uint32_t{NGHTTP2_INTERNAL_ERROR});
  want_write();
}

ssize_t H2Server::read_response_body(H2Stream& s, std::uint8_t* buf, std::size_t length,
                                     std::uint32_t* data_flags) {
  const std::size_t n = s.response_body.read(buf, length);
  if (n > 0 && s.endpoint != nullptr) s.endpoint->consumed(s, n);
  if (s.response_body.empty() && s.response_end) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (s.response_trailers.count() > 0) {
      const auto nva = s.response_trailers.nva();
      if (nghttp2_submit_trailer(session(), s.client_id, nva.data(), nva.size()) == 0) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
  } else if (n == 0) {
    s.response_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  if (!s.latency_observed && s.route != nullptr) {
    s.latency_observed = true;
    s.route->observe_latency(s.status, Clock::now() - s.started);
  }
  return static_cast<ssize_t>(n);
}

void H2Server::count_response(H2Stream& s, std::uint32_t reset_code) noexcept {
  if (s.counted || s.route == nullptr) return;
  s.counted = true;
  const bool stream_error = reset_code != NGHTTP2_NO_ERROR || !s.response_end;
  metrics::ResponseOutcome outcome;
  outcome.status_code = s.response_submitted ? s.status : 0;
  outcome.grpc_status = s.grpc_status;
  outcome.classification = classify(s.status, s.grpc, s.grpc_status, stream_error);
  outcome.error = s.error;
  if (outcome.error.empty() && stream_error) {
    outcome.error = h2_error_label(reset_code != NGHTTP2_NO_ERROR ? reset_code : std::uint32_t{NGHTTP2_CANCEL});
  }
  s.route->count_response(outcome);
  count_route_response(s, outcome);
}

void H2Server::detach(H2Stream& s) noexcept {
  if (s.server != this) return;
  // Request bytes still queued for the endpoint are credited to the client's connection now,
  // since this session will not hear of them again.
  if (!s.request_body.empty()) {
    nghttp2_session_consume_connection(session(), s.request_body.size());
  }
  nghttp2_session_set_stream_user_data(session(), s.client_id, nullptr);
  s.server_hook.unlink();
  --stream_count_;
  s.server = nullptr;
  ctx_.h2_pool->release_if_unused(&s);
}

asio::awaitable<void> serve_h2(const HttpContext& ctx, net::Stream client, tcp::endpoint target,
                               std::span<const std::byte> detected,
                               metrics::TcpConnMetrics client_metrics) {
  H2Server server(ctx, std::move(client), std::move(target), std::move(client_metrics));
  co_await server.serve(detected);
}

}  // namespace weft::http
