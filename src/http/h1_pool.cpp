#include "weft/http/h1_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "weft/net/connector.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Whether an idle connection can carry a request: nothing to read and no end of stream. An
// endpoint that closed its side shows EOF (0); one that reset shows an error; bytes before a
// request are a broken endpoint. Non-blocking, one syscall. Over TLS the bytes on the socket
// are records, not HTTP: any of them (or any OpenSSL already holds) retires the connection too.
bool still_usable(net::Stream& stream) noexcept {
  std::byte probe;
  const ssize_t n = ::recv(stream.socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !stream.has_buffered_input();
}

}  // namespace

void H1EndpointConn::close(const boost::system::error_code& ec, bool reset) noexcept {
  if (reset) {
    net::reset(stream);
  } else {
    stream.close();
  }
  metrics.close(ec);
}

H1Pool::H1Pool(const asio::any_io_executor& executor, core::duration idle_timeout,
               std::size_t max_idle_per_endpoint)
    : idle_timeout_(idle_timeout), max_idle_(max_idle_per_endpoint), timer_(executor) {}

H1Pool::~H1Pool() { close_all(); }

std::optional<H1EndpointConn> H1Pool::take(const tcp::endpoint& target, bool resendable) {
  const auto it = idle_.find(target);
  if (it == idle_.end()) return std::nullopt;
  auto& stack = it->second;
  const auto now = Clock::now();
  while (!stack.empty()) {
    Idle idle = std::move(stack.back());
    stack.pop_back();
    const auto idle_for = now - idle.since;
    const bool trusted = resendable && idle_for < kTrustedIdle;
    if (idle_for < idle_timeout_ && (trusted || still_usable(idle.conn.stream))) {
      idle.conn.reused = true;
      return std::move(idle.conn);
    }
    idle.conn.close();
  }
  return std::nullopt;
}

void H1Pool::put(const tcp::endpoint& target, H1EndpointConn conn) {
  if (closed_ || max_idle_ == 0 || idle_timeout_ <= core::duration::zero()) {
    conn.close();
    return;
  }
  auto& stack = idle_[target];
  if (stack.size() >= max_idle_) {
    stack.front().conn.close();
    stack.erase(stack.begin());
  }
  const auto now = Clock::now();
  stack.push_back({std::move(conn), now});
  if (!armed_) arm(now + idle_timeout_);
}

void H1Pool::close_all() noexcept {
  closed_ = true;
  for (auto& [target, stack] : idle_) {
    for (auto& idle : stack) idle.conn.close();
  }
  idle_.clear();
  timer_.cancel();
  armed_ = false;
}

std::size_t H1Pool::idle_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [target, stack] : idle_) n += stack.size();
  return n;
}

void H1Pool::arm(Clock::time_point at) {
  armed_ = true;
  timer_.expires_at(at);
  // A plain handler, not a coroutine: the pool outlives it except at worker teardown, when the
  // wait completes with operation_aborted and the handler returns before touching the pool.
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  });
}

void H1Pool::on_timer() noexcept {
  armed_ = false;
  const auto now = Clock::now();
  std::optional<Clock::time_point> next;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& stack = it->second;
    std::size_t expired = 0;
    while (expired < stack.size() && now - stack[expired].since >= idle_timeout_) {
      stack[expired].conn.close();
      ++expired;
    }
    stack.erase(stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(expired));
    if (stack.empty()) {
      it = idle_.erase(it);
      continue;
    }
    const auto due = stack.front().since + idle_timeout_;
    if (!next || due < *next) next = due;
    ++it;
  }
  if (next && !closed_) arm(*next);
}

}  // namespace weft::http
