#include "weft/net/duplex.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>

#include "weft/core/clock.hpp"
#include "weft/core/error.hpp"
#include "weft/net/connector.hpp"

namespace weft::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// State shared by the two copy directions and the idle watchdog of one connection. All three run
// on the connection's worker, so plain fields suffice.
struct Shared {
  explicit Shared(IdleTracker tracker) : idle(tracker) {}

  IdleTracker idle;
  bool stop = false;
  error_code client_error;
  error_code endpoint_error;

  // Stops every direction: pending operations on both streams complete with operation_aborted.
  void halt(Stream& a, Stream& b) {
    stop = true;
    a.cancel();
    b.cancel();
  }

  // Records the first failure, on the side it happened, and stops both directions. A failure
  // after the stop is only the stop's own cancellation and is not recorded.
  void fail(error_code& side_error, const error_code& ec, Stream& a, Stream& b) {
    if (stop) return;
    side_error = ec;
    halt(a, b);
  }
};

// Passes the end of one direction on: TCP shutdown(send), after close_notify for TLS (waiting
// for room in the send buffer if the alert does not fit now).
asio::awaitable<void> end_direction(Stream& to) {
  error_code ec;
  to.shutdown_send(ec);
  if (ec == asio::error::would_block) co_await to.async_shutdown_send(kAwait);
}

// One direction through a pooled buffer: the copy path for TLS (either side), and for plaintext
// when no pipe can be had. Reads speculatively (the streams are non-blocking) and waits for
// readiness only when nothing is buffered (in the kernel, or decrypted in OpenSSL), so a buffer
// is held only while bytes are in flight.
asio::awaitable<void> pump(DuplexSide from, error_code& from_error, DuplexSide to,
                           error_code& to_error, BufferPool& pool, Shared& shared) {
  BufferPool::Lease lease;
  while (!shared.stop) {
    if (!lease) lease = pool.acquire();
    const auto buf = lease.bytes();
    error_code ec;
    const std::size_t n = from.stream.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      lease.release();
      auto [wait_ec] = co_await from.stream.async_wait(tcp::socket::wait_read, kAwait);
      if (wait_ec) shared.fail(from_error, wait_ec, from.stream, to.stream);
      continue;
    }
    if (ec == asio::error::eof) {
      // Half-close: pass the end of this direction on, and let the other direction run.
      lease.release();
      co_await end_direction(to.stream);
      co_return;
    }
    if (ec) {
      shared.fail(from_error, ec, from.stream, to.stream);
      co_return;
    }
    from.metrics.add_read(n);
    shared.idle.touch(Clock::now());
    auto [write_ec, written] =
        co_await asio::async_write(to.stream, asio::buffer(buf.data(), n), kAwait);
    if (write_ec) {
      shared.fail(to_error, write_ec, from.stream, to.stream);
      co_return;
    }
    to.metrics.add_write(written);
    shared.idle.touch(Clock::now());
  }
}

error_code last_error() { return {errno, boost::system::system_category()}; }

// The socket's pending error (SO_ERROR), which reading it clears.
error_code pending_error(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return last_error();
  return {err, boost::system::system_category()};
}

// One direction through a kernel pipe: socket -> pipe -> socket with splice(2), so the bytes never
// cross into user space. The pipe is leased only while it holds bytes. If no pipe can be had (out
// of descriptors), the direction goes on through a pooled buffer instead.
asio::awaitable<void> splice_pump(DuplexSide from, error_code& from_error, DuplexSide to,
                                  error_code& to_error, Pools pools, Shared& shared) {
  constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
  tcp::socket& from_socket = from.stream.socket();
  tcp::socket& to_socket = to.stream.socket();
  const int from_fd = from_socket.native_handle();
  const int to_fd = to_socket.native_handle();
  PipePool::Lease pipe;
  while (!shared.stop) {
    if (!pipe) {
      auto leased = pools.pipes.acquire();
      if (!leased) {
        co_await pump(from, from_error, to, to_error, pools.buffers, shared);
        co_return;
      }
      pipe = std::move(*leased);
    }
    const auto n =
        ::splice(from_fd, nullptr, pipe.write_fd(), nullptr, PipePool::kPipeSize, kFlags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pipe.release();
      auto [wait_ec] = co_await from_socket.async_wait(tcp::socket::wait_read, kAwait);
      if (wait_ec) shared.fail(from_error, wait_ec, from.stream, to.stream);
      continue;
    }
    if (n == 0) {
      // tcp_splice_read checks SOCK_DONE before the socket's pending error, so a reset socket can
      // read as end of stream: ask for the error before treating this as an orderly close.
      if (auto reset_error = pending_error(from_fd)) {
        shared.fail(from_error, reset_error, from.stream, to.stream);
        co_return;
      }
      error_code ignored;
      to_socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (n < 0) {
      shared.fail(from_error, last_error(), from.stream, to.stream);
      co_return;
    }
    from.metrics.add_read(static_cast<std::uint64_t>(n));
    shared.idle.touch(Clock::now());
    pipe.pending = static_cast<std::size_t>(n);
    while (pipe.pending > 0 && !shared.stop) {
      const auto m = ::splice(pipe.read_fd(), nullptr, to_fd, nullptr, pipe.pending, kFlags);
      if (m < 0 && errno == EINTR) continue;
      if (m < 0 && errno == EAGAIN) {
        auto [wait_ec] = co_await to_socket.async_wait(tcp::socket::wait_write, kAwait);
        if (wait_ec) shared.fail(to_error, wait_ec, from.stream, to.stream);
        continue;
      }
      if (m <= 0) {
        // A reset peer shows as EPIPE here once its pending error has been consumed or skipped;
        // the pending error, when there is one, says what really happened.
        const auto write_error = m < 0 ? last_error() : make_error_code(asio::error::broken_pipe);
        const auto reset_error = pending_error(to_fd);
        shared.fail(to_error, reset_error ? reset_error : write_error, from.stream, to.stream);
        co_return;
      }
      pipe.pending -= static_cast<std::size_t>(m);
      to.metrics.add_write(static_cast<std::uint64_t>(m));
      shared.idle.touch(Clock::now());
    }
  }
}

// Returns when the connection has been idle for the timeout; cancelled when the copies finish.
asio::awaitable<void> watch_idle(Shared& shared, Stream& client, Stream& endpoint) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!shared.idle.expired(Clock::now())) {
    timer.expires_at(shared.idle.deadline());
    if (auto [ec] = co_await timer.async_wait(kAwait); ec) co_return;
  }
  shared.client_error = shared.endpoint_error = make_error_code(errc::idle_timeout);
  shared.halt(client, endpoint);
}

}  // namespace

asio::awaitable<DuplexOutcome> duplex(DuplexSide client, DuplexSide endpoint, Pools pools,
                                      core::duration idle_timeout) {
  Shared shared{IdleTracker(Clock::now(), idle_timeout)};
  if (!client.stream.tls() && !endpoint.stream.tls()) {
    co_await (
        (splice_pump(client, shared.client_error, endpoint, shared.endpoint_error, pools, shared) &&
         splice_pump(endpoint, shared.endpoint_error, client, shared.client_error, pools,
                     shared)) ||
        watch_idle(shared, client.stream, endpoint.stream));
  } else {
    // Bytes must pass through OpenSSL, so through user space: no splice.
    co_await ((pump(client, shared.client_error, endpoint, shared.endpoint_error, pools.buffers,
                    shared) &&
               pump(endpoint, shared.endpoint_error, client, shared.client_error, pools.buffers,
                    shared)) ||
              watch_idle(shared, client.stream, endpoint.stream));
  }

  // A failed side is passed on as a reset; an idle connection is reset on both sides so that
  // neither peer mistakes the proxy's close for the end of a complete message.
  if (shared.client_error || shared.endpoint_error) {
    reset(client.stream);
    reset(endpoint.stream);
  }
  client.stream.close();
  endpoint.stream.close();
  client.metrics.close(shared.client_error);
  endpoint.metrics.close(shared.endpoint_error);
  co_return DuplexOutcome{shared.client_error, shared.endpoint_error};
}

}  // namespace weft::net
