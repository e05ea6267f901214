#include "weft/net/duplex.hpp"

#include "weft/core/clock.hpp"
#include "weft/core/error.hpp"
#include "weft/net/connector.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

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

  // Stops every direction: pending operations on both sockets complete with operation_aborted.
  void halt(tcp::socket& a, tcp::socket& b) {
    stop = true;
    error_code ignored;
    a.cancel(ignored);
    b.cancel(ignored);
  }
};

// One direction. Reads speculatively (the sockets are non-blocking) and waits for readiness
// only when nothing is buffered in the kernel, so a buffer is held only while bytes are in flight.
asio::awaitable<void> pump(DuplexSide from, error_code& from_error, DuplexSide to, error_code& to_error,
                           BufferPool& pool, Shared& shared) {
  BufferPool::Lease lease;
  while (!shared.stop) {
    if (!lease) lease = pool.acquire();
    const auto buf = lease.bytes();
    error_code ec;
    const std::size_t n = from.socket.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      lease.release();
      auto [wait_ec] = co_await from.socket.async_wait(tcp::socket::wait_read, kAwait);
      if (wait_ec && !shared.stop) {
        from_error = wait_ec;
        shared.halt(from.socket, to.socket);
      }
      continue;
    }
    if (ec == asio::error::eof) {
      // Half-close: pass the end of this direction on, and let the other direction run.
      error_code ignored;
      to.socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (ec) {
      from_error = ec;
      shared.halt(from.socket, to.socket);
      co_return;
    }
    from.metrics.add_read(n);
    shared.idle.touch(Clock::now());
    auto [write_ec, written] = co_await asio::async_write(to.socket, asio::buffer(buf.data(), n), kAwait);
    if (write_ec) {
      if (!shared.stop) {
        to_error = write_ec;
        shared.halt(from.socket, to.socket);
      }
      co_return;
    }
    to.metrics.add_write(written);
    shared.idle.touch(Clock::now());
  }
}

// Returns when the connection has been idle for the timeout; cancelled when the copies finish.
asio::awaitable<void> watch_idle(Shared& shared, tcp::socket& client, tcp::socket& endpoint) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!shared.idle.expired(Clock::now())) {
    timer.expires_at(shared.idle.deadline());
    if (auto [ec] = co_await timer.async_wait(kAwait); ec) co_return;
  }
  shared.client_error = shared.endpoint_error = make_error_code(errc::idle_timeout);
  shared.halt(client, endpoint);
}

}  // namespace

asio::awaitable<DuplexOutcome> duplex(DuplexSide client, DuplexSide endpoint, BufferPool& pool,
                                      core::duration idle_timeout) {
  Shared shared{IdleTracker(Clock::now(), idle_timeout)};
  co_await ((pump(client, shared.client_error, endpoint, shared.endpoint_error, pool, shared) &&
             pump(endpoint, shared.endpoint_error, client, shared.client_error, pool, shared)) ||
            watch_idle(shared, client.socket, endpoint.socket));

  // A failed side is passed on as a reset; an idle connection is reset on both sides so that
  // neither peer mistakes the proxy's close for the end of a complete message.
  if (shared.client_error || shared.endpoint_error) {
    reset(client.socket);
    reset(endpoint.socket);
  }
  error_code ignored;
  client.socket.close(ignored);
  endpoint.socket.close(ignored);
  client.metrics.close(shared.client_error);
  endpoint.metrics.close(shared.endpoint_error);
  co_return DuplexOutcome{shared.client_error, shared.endpoint_error};
}

}  // namespace weft::net
