#include "weft/http/h2_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/h2_client_pool.hpp"
#include "weft/http/h2_server.hpp"
#include "weft/net/connector.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

using namespace asio::experimental::awaitable_operators;

// How often a draining connection looks whether its last stream has ended.
constexpr auto kDrainPoll = std::chrono::milliseconds(50);

H2Client& self(void* user_data) { return *static_cast<H2Client*>(user_data); }

std::string_view as_view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
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
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (s == nullptr) return NGHTTP2_ERR_DEFERRED;
  return self(user_data).read_request_body(*s, buf, length, data_flags);
}

const nghttp2_session_callbacks* client_callbacks() {
  static const auto* callbacks = [] {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close_cb);
    return cbs;
  }();
  return callbacks;
}

unsigned parse_status(std::string_view v) noexcept {
  unsigned status = 0;
  std::from_chars(v.data(), v.data() + v.size(), status);
  return status;
}

}  // namespace

H2Client::H2Client(H2ClientPool& pool, const HttpContext& ctx, tcp::endpoint target)
    : H2Connection(net::Stream(tcp::socket(pool.executor())), {}, *ctx.buffers, *ctx.h2_client,
                   ctx.idle_timeout),
      pool_(pool),
      ctx_(ctx),
      target_(std::move(target)),
      endpoint_tls_(metrics::TlsLabels::from(ctx.endpoint_tls)) {}

H2Client::~H2Client() {
  failed_ = true;
  pool_.forget(this);
  fail_all(make_error_code(errc::unexpected));
}

asio::awaitable<void> H2Client::run_connection() {
  auto socket = co_await net::connect(target_, ctx_.connect_timeout);
  if (!socket) {
    spdlog::debug("h2: connect to {} failed: {}", target_.address().to_string(),
                  socket.error().message());
    failed_ = true;
    pool_.forget(this);
    fail_all(socket.error(), FailedAt::connect);
    co_return;
  }
  stream_ = net::Stream(std::move(*socket));
  if (meshed_) {
    if (auto ec = co_await tls::secure(*ctx_.mesh, stream_, *meshed_, ctx_.connect_timeout)) {
      spdlog::debug("h2: mTLS to {} ({}) failed: {}", metrics::format_target_addr(target_),
                    meshed_->identity, ec.message());
      net::reset(stream_);
      failed_ = true;
      pool_.forget(this);
      fail_all(ec, FailedAt::connect);
      co_return;
    }
  }
  metrics_ =
      ctx_.metrics->open_tcp({ctx_.direction, metrics::Peer::dst, target_, endpoint_tls_.ref()});
  set_session(make_session(false, client_callbacks(), this, *ctx_.h2_client));
  connected_ = true;
  // Streams that waited for the connection go out now. submit() may detach a stream (and the
  // list with it), so walk a snapshot of the ones still waiting.
  for (auto it = streams_.begin(); it != streams_.end();) {
    H2Stream& s = *it++;
    if (s.endpoint_id < 0) submit(s);
  }
  auto outcome = co_await (run({}) || close_when_drained());
  const error_code ec = outcome.index() == 0 ? std::get<0>(outcome) : error_code{};
  failed_ = true;
  pool_.forget(this);
  fail_all(ec ? ec : make_error_code(errc::endpoint_closed));
  if (ec) net::reset(stream_);
  metrics_.close(ec);
}

asio::awaitable<void> H2Client::close_when_drained() {
  asio::steady_timer timer(stream_.get_executor());
  if (ctx_.drain != nullptr) {
    co_await ctx_.drain->wait();
    if (ctx_.drain->draining()) {
      // The client connections are finishing their last streams; once none is left here, say
      // GOAWAY so that the endpoint sees an orderly end rather than the process exiting.
      while (open_streams() > 0) {
        timer.expires_after(kDrainPoll);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      go_away();
    }
  }
  timer.expires_at(Clock::time_point::max());
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

void H2Client::add_stream(H2Stream& s) {
  s.endpoint = this;
  streams_.push_back(s);
  ++stream_count_;
  if (connected_) submit(s);
}

void H2Client::submit(H2Stream& s) {
  const auto nva = s.request.nva();
  const bool headers_only =
      s.request_end && s.request_body.empty() && s.request_trailers.count() == 0;
  nghttp2_data_provider provider{};
  provider.read_callback = read_body_cb;
  const std::int32_t id = nghttp2_submit_request(session(), nullptr, nva.data(), nva.size(),
                                                 headers_only ? nullptr : &provider, &s);
  if (id < 0) {
    spdlog::debug("h2: cannot forward request head: {}", nghttp2_strerror(id));
    H2Server* server = s.server;
    if (server != nullptr) server->fail_stream(s, make_nghttp2_lib_error(id), NGHTTP2_NO_ERROR);
    detach(s);
    return;
  }
  s.endpoint_id = id;
  if (s.lease) s.lease.connected(Clock::now());
  want_write();
}

void H2Client::cancel_stream(H2Stream& s, std::uint32_t code) noexcept {
  if (s.endpoint != this) return;
  if (s.endpoint_id > 0 && session() != nullptr) {
    nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, s.endpoint_id, code);
    want_write();
  }
  detach(s);
}

void H2Client::resume_request(H2Stream& s) noexcept {
  if (!s.request_deferred || s.endpoint_id < 0) return;
  s.request_deferred = false;
  nghttp2_session_resume_data(session(), s.endpoint_id);
  want_write();
}

void H2Client::consumed(H2Stream& s, std::size_t n) noexcept {
  nghttp2_session_consume(session(), s.endpoint_id, n);
  want_write();
}

int H2Client::on_header(const nghttp2_frame* frame, std::string_view name,
                        std::string_view value) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* s = static_cast<H2Stream*>(
      nghttp2_session_get_stream_user_data(session(), frame->hd.stream_id));
  if (s == nullptr) return 0;
  HeaderBlock& block = s->response_headers_done ? s->response_trailers : s->response;
  if (block.list_size() + name.size() + value.size() + 32 > ctx_.h2_client->max_header_list_size) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream; the client sees it too
  }
  block.add(name, value);
  return 0;
}

int H2Client::on_frame_recv(const nghttp2_frame* frame) {
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      auto* s = static_cast<H2Stream*>(
          nghttp2_session_get_stream_user_data(session(), frame->hd.stream_id));
      if (s == nullptr) break;
      const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
      if (!s->response_headers_done) {
        const unsigned status = parse_status(s->response.get(":status"));
        if (status >= 100 && status < 200) {
          if (s->server != nullptr) s->server->submit_response(*s);
          s->response.clear();
          break;
        }
        s->status = status;
        s->response_headers_done = true;
        if (auto g = parse_grpc_status(s->response.get("grpc-status"))) s->grpc_status = *g;
        s->response_end = end;
        if (s->lease) s->lease.first_byte(Clock::now());  // the balancer's RTT sample
        if (s->server != nullptr && s->server->retry_response(*s, end)) break;
        if (s->server != nullptr) s->server->submit_response(*s);
        s->response.clear();
      } else {
        if (auto g = parse_grpc_status(s->response_trailers.get("grpc-status"))) {
          s->grpc_status = *g;
        }
        s->response_end = true;
        if (s->server != nullptr) s->server->resume_response(*s);
      }
      break;
    }
    case NGHTTP2_DATA: {
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) break;
      auto* s = static_cast<H2Stream*>(
          nghttp2_session_get_stream_user_data(session(), frame->hd.stream_id));
      if (s == nullptr) break;
      s->response_end = true;
      if (s->server != nullptr) s->server->resume_response(*s);
      break;
    }
    case NGHTTP2_GOAWAY:
      // No new streams here; the ones the endpoint will still process finish on this connection.
      closing_ = true;
      pool_.forget(this);
      break;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) on_ping_ack(frame->ping.opaque_data);
      break;
    default:
      break;
  }
  return 0;
}

int H2Client::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session(), stream_id));
  if (s == nullptr || s->server == nullptr) {
    nghttp2_session_consume(session(), stream_id, len);
    return 0;
  }
  if (s->policy.idle_timeout.count() > 0) s->last_activity = Clock::now();
  s->response_body.append(*ctx_.buffers, {data, len});
  s->server->resume_response(*s);
  return 0;
}

int H2Client::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto* s = static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session(), stream_id));
  if (s == nullptr) return 0;
  if (error_code == NGHTTP2_REFUSED_STREAM && s->server != nullptr && !s->retried &&
      !s->response_headers_done && !s->request_body_started) {
    // The endpoint did not process it (RFC 9113 §8.7), typically a stream above the last one of
    // its GOAWAY: send it again, once, on a new connection, since nothing of it is lost.
    s->retried = true;
    closing_ = true;  // whether or not GOAWAY was seen yet, no new stream goes here
    pool_.forget(this);
    detach(*s);
    s->endpoint_id = -1;
    s->request_deferred = false;
    pool_.connection(ctx_, target_, meshed_ ? &*meshed_ : nullptr).add_stream(*s);
    return 0;
  }
  if (s->server != nullptr && !s->response_end) {
    s->server->fail_stream(*s, make_error_code(errc::stream_reset),
                           error_code != NGHTTP2_NO_ERROR ? error_code : std::uint32_t{NGHTTP2_INTERNAL_ERROR});
  }
  detach(*s);
  return 0;
}

ssize_t H2Client::read_request_body(H2Stream& s, std::uint8_t* buf, std::size_t length,
                                    std::uint32_t* data_flags) {
  const std::size_t n = s.request_body.read(buf, length);
  if (n > 0) s.request_body_started = true;
  if (n > 0 && s.server != nullptr) {
    const std::size_t again = std::min(n, s.replay_credited);  // a retry's bytes sent before
    s.replay_credited -= again;
    if (n > again) s.server->consumed(s, n - again);
  }
  if (s.request_body.empty() && s.request_end) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (s.request_trailers.count() > 0) {
      const auto nva = s.request_trailers.nva();
      if (nghttp2_submit_trailer(session(), s.endpoint_id, nva.data(), nva.size()) == 0) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    s.request_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void H2Client::detach(H2Stream& s) noexcept {
  if (s.endpoint != this) return;
  if (session() != nullptr) {
    // Response bytes still queued for the client are credited to this connection now.
    if (!s.response_body.empty()) {
      nghttp2_session_consume_connection(session(), s.response_body.size());
      want_write();
    }
    if (s.endpoint_id > 0) nghttp2_session_set_stream_user_data(session(), s.endpoint_id, nullptr);
  }
  s.endpoint_hook.unlink();
  --stream_count_;
  s.endpoint = nullptr;
  pool_.release_if_unused(&s);
}

void H2Client::fail_all(const error_code& ec, FailedAt at) noexcept {
  while (!streams_.empty()) {
    H2Stream& s = streams_.front();
    if (s.server != nullptr && !s.response_end) {
      s.server->fail_stream(s, ec, s.response_submitted ? NGHTTP2_INTERNAL_ERROR : NGHTTP2_NO_ERROR,
                            at);
    }
    detach(s);
  }
}

}  // namespace weft::http
