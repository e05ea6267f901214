#include "weft/http/h2_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "weft/core/clock.hpp"
#include "weft/core/error.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// nghttp2 refuses to send a header block larger than this (default 64 KiB). Forwarded blocks
// are bounded by the receiving side's SETTINGS_MAX_HEADER_LIST_SIZE, which may be larger.
constexpr std::size_t kMaxSendHeaderBlock = 1 << 20;
// A writer turn stops gathering at this size, writes, and comes back for the rest. It also bounds
// the output buffer each connection keeps (this plus one frame).
constexpr std::size_t kMaxWriteBatch = 64 * 1024;
// After GOAWAY for a keepalive timeout, the peer gets this long to take it before the socket
// closes anyway.
constexpr auto kGoawayFlushTimeout = std::chrono::seconds(1);

constexpr std::array<std::uint8_t, 8> kKeepalivePing = {'w', 'e', 'f', 't', 'k', 'e', 'e', 'p'};
constexpr std::array<std::uint8_t, 8> kDrainPing = {'w', 'e', 'f', 't', 'd', 'r', 'a', 'i'};

class H2ErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "h2"; }
  std::string message(int code) const override {
    return nghttp2_http2_strerror(static_cast<std::uint32_t>(code));
  }
};

class Nghttp2Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "nghttp2"; }
  std::string message(int code) const override { return nghttp2_strerror(code); }
};

}  // namespace

error_code make_h2_error(std::uint32_t code) noexcept {
  static const H2ErrorCategory category;
  return {static_cast<int>(code), category};
}

error_code make_nghttp2_lib_error(int lib_error) noexcept {
  static const Nghttp2Category category;
  return {lib_error, category};
}

std::string_view h2_error_label(std::uint32_t code) noexcept {
  static constexpr std::array<std::string_view, 14> kLabels = {
      "h2(NO_ERROR)",       "h2(PROTOCOL_ERROR)",  "h2(INTERNAL_ERROR)",    "h2(FLOW_CONTROL_ERROR)",
      "h2(SETTINGS_TIMEOUT)", "h2(STREAM_CLOSED)", "h2(FRAME_SIZE_ERROR)",  "h2(REFUSED_STREAM)",
      "h2(CANCEL)",         "h2(COMPRESSION_ERROR)", "h2(CONNECT_ERROR)",   "h2(ENHANCE_YOUR_CALM)",
      "h2(INADEQUATE_SECURITY)", "h2(HTTP_1_1_REQUIRED)"};
  return code < kLabels.size() ? kLabels[code] : std::string_view("h2(UNKNOWN)");
}

SessionPtr make_session(bool server, const nghttp2_session_callbacks* callbacks, void* user_data,
                        const core::Http2Settings& settings) {
  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) return {};
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_send_header_block_length(option, kMaxSendHeaderBlock);
  nghttp2_session* raw = nullptr;
  const int rv = server ? nghttp2_session_server_new2(&raw, callbacks, user_data, option)
                        : nghttp2_session_client_new2(&raw, callbacks, user_data, option);
  nghttp2_option_del(option);
  if (rv != 0) return {};
  SessionPtr session(raw);

  std::array<nghttp2_settings_entry, 4> entries{};
  std::size_t n = 0;
  entries[n++] = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams};
  entries[n++] = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_stream_window_size};
  entries[n++] = {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_size};
  if (!server) entries[n++] = {NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
  if (nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, entries.data(), n) != 0) return {};
  const auto conn_window = static_cast<std::int32_t>(
      std::min<std::uint32_t>(settings.initial_connection_window_size, NGHTTP2_MAX_WINDOW_SIZE));
  if (conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE &&
      nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0, conn_window) != 0) {
    return {};
  }
  return session;
}

H2Connection::H2Connection(net::Stream stream, metrics::TcpConnMetrics metrics,
                           net::BufferPool& buffers, const core::Http2Settings& settings,
                           core::duration idle_timeout)
    : stream_(std::move(stream)),
      metrics_(std::move(metrics)),
      buffers_(buffers),
      settings_(settings),
      idle_timeout_(idle_timeout),
      wake_(stream_.get_executor(), Clock::time_point::max()),
      last_active_(Clock::now()) {}

H2Connection::~H2Connection() = default;

void H2Connection::want_write() noexcept {
  wake_pending_ = true;
  if (!writing_) wake_.cancel();
}

void H2Connection::abort(const error_code& ec) noexcept {
  if (done_) return;
  done_ = true;
  if (!error_) error_ = ec;
  stream_.cancel();
  wake_.cancel();
}

void H2Connection::go_away(std::uint32_t code) noexcept {
  if (closing_ || !session_) return;
  closing_ = true;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), code, nullptr, 0);
  want_write();
}

void H2Connection::ping_for_drain() noexcept {
  nghttp2_submit_ping(session_.get(), NGHTTP2_FLAG_NONE, kDrainPing.data());
  want_write();
}

void H2Connection::on_ping_ack(const std::uint8_t* opaque) noexcept {
  if (std::memcmp(opaque, kKeepalivePing.data(), kKeepalivePing.size()) == 0) {
    ping_sent_ = {};
  } else if (std::memcmp(opaque, kDrainPing.data(), kDrainPing.size()) == 0) {
    on_drain_ping_ack();
  }
}

bool H2Connection::finished() const noexcept {
  return done_ || (nghttp2_session_want_read(session_.get()) == 0 &&
                   nghttp2_session_want_write(session_.get()) == 0);
}

asio::awaitable<error_code> H2Connection::run(std::span<const std::byte> initial) {
  if (!session_) co_return make_error_code(errc::unexpected);
  co_await (read_loop(initial) || write_loop() || timer_loop());
  done_ = true;
  co_return error_;
}

bool H2Connection::feed(std::span<const std::byte> bytes) noexcept {
  metrics_.add_read(bytes.size());
  const auto rv = nghttp2_session_mem_recv(
      session_.get(), reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  after_recv();
  if (rv < 0) {
    // Fatal (bad preface, flooding, a callback failure): nothing more can be said on this
    // connection that the peer would understand.
    spdlog::debug("h2: closing connection: {}", nghttp2_strerror(static_cast<int>(rv)));
    abort(make_nghttp2_lib_error(static_cast<int>(rv)));
    return false;
  }
  want_write();
  return true;
}

asio::awaitable<void> H2Connection::read_loop(std::span<const std::byte> initial) {
  if (!initial.empty() && !feed(initial)) co_return;
  net::BufferPool::Lease lease;
  while (!done_) {
    if (!lease) lease = buffers_.acquire();
    const auto buf = lease.bytes();
    error_code ec;
    const std::size_t n = stream_.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      // Hold no buffer while the peer is quiet.
      lease.release();
      auto [wait_ec] = co_await stream_.async_wait(tcp::socket::wait_read, kAwait);
      if (wait_ec) {
        if (!done_) abort(wait_ec);
        co_return;
      }
      continue;
    }
    if (ec == asio::error::eof) {
      done_ = true;
      co_return;
    }
    if (ec) {
      abort(ec);
      co_return;
    }
    if (!feed({buf.data(), n})) co_return;
    if (finished()) {
      done_ = true;
      co_return;
    }
  }
}

asio::awaitable<void> H2Connection::write_loop() {
  for (;;) {
    if (done_) co_return;
    if (!wake_pending_) {
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(kAwait);
      continue;
    }
    wake_pending_ = false;
    out_.clear();
    for (;;) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_.get(), &data);
      if (n < 0) {
        abort(make_nghttp2_lib_error(static_cast<int>(n)));
        co_return;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      if (out_.size() >= kMaxWriteBatch) {
        wake_pending_ = true;
        break;
      }
    }
    if (!out_.empty()) {
      writing_ = true;
      auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(out_), kAwait);
      writing_ = false;
      if (ec) {
        if (!done_) abort(ec);
        co_return;
      }
      metrics_.add_write(written);
    }
    if (finished()) {
      // Marked before returning: the `||` in run() cancels the other loops, and they must see
      // an orderly end, not a failure.
      done_ = true;
      co_return;
    }
  }
}

asio::awaitable<void> H2Connection::timer_loop() {
  asio::steady_timer timer(stream_.get_executor());
  const auto interval = settings_.keep_alive_interval;
  const auto timeout = settings_.keep_alive_timeout;
  auto next_ping = Clock::now() + interval;
  for (;;) {
    const auto now = Clock::now();
    if (open_streams() > 0) last_active_ = now;
    if (ping_sent_ != Clock::time_point{} && timeout.count() > 0 && now >= ping_sent_ + timeout) {
      spdlog::debug("h2: closing connection: no PING ACK within {}ms", timeout.count());
      nghttp2_session_terminate_session(session_.get(), NGHTTP2_NO_ERROR);
      closing_ = true;
      want_write();
      timer.expires_after(kGoawayFlushTimeout);
      co_await timer.async_wait(kAwait);
      abort(make_error_code(errc::idle_timeout));
      co_return;
    }
    if (interval.count() > 0 && ping_sent_ == Clock::time_point{} && now >= next_ping) {
      nghttp2_submit_ping(session_.get(), NGHTTP2_FLAG_NONE, kKeepalivePing.data());
      ping_sent_ = now;
      next_ping = now + interval;
      want_write();
    }
    if (idle_timeout_.count() > 0 && open_streams() == 0 && now >= last_active_ + idle_timeout_) {
      go_away();
      last_active_ = now;  // the GOAWAY ends the connection; do not send it again
    }
    auto deadline = Clock::time_point::max();
    if (idle_timeout_.count() > 0) deadline = last_active_ + idle_timeout_;
    if (interval.count() > 0) deadline = std::min(deadline, next_ping);
    if (ping_sent_ != Clock::time_point{} && timeout.count() > 0) {
      deadline = std::min(deadline, ping_sent_ + timeout);
    }
    // While streams are open the idle deadline moves; look again at least that often.
    timer.expires_at(std::max(deadline, now + std::chrono::milliseconds(1)));
    auto [ec] = co_await timer.async_wait(kAwait);
    if (ec || done_) co_return;
  }
}

}  // namespace weft::http
