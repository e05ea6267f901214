// The admin server's I/O: an accept loop and one coroutine per connection that owns its socket,
// reads bounded request heads under an idle timeout and answers through handle_request.
#include "weft/admin/server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "weft/admin/http.hpp"
#include "weft/admin/routes.hpp"
#include "weft/core/error.hpp"

namespace weft::admin {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

struct Server::State {
  State(asio::io_context& ioc, const metrics::Registry& r, const std::atomic<bool>& rdy,
        ServerOptions o)
      : acceptor(ioc), registry(r), ready(rdy), options(o) {}

  tcp::acceptor acceptor;
  const metrics::Registry& registry;
  const std::atomic<bool>& ready;
  const ServerOptions options;
  // Touched only on the io_context's thread.
  bool stopped = false;
  std::set<tcp::socket*> connections;
};

namespace {

using State = Server::State;
using IoResult = std::tuple<error_code, std::size_t>;

// Awaits `op`, or fails it with errc::idle_timeout after `d`.
asio::awaitable<IoResult> with_timeout(asio::awaitable<IoResult> op,
                                       asio::steady_timer::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  auto result = co_await (std::move(op) || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (result.index() == 1) co_return IoResult{make_error_code(errc::idle_timeout), 0};
  co_return std::get<0>(std::move(result));
}

// Reads and drops whatever the client still sends, up to a bound.
asio::awaitable<void> drain(tcp::socket& sock) {
  std::array<char, 4096> scratch;
  std::size_t total = 0;
  while (total < 1024 * 1024) {
    auto [ec, n] =
        co_await sock.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    total += n;
  }
}

// Half-closes, then reads until the client closes too (or briefly), so that closing a socket that
// still has unread request bytes does not reset the connection before the client reads the answer.
asio::awaitable<void> linger_close(tcp::socket& sock) {
  error_code ignored;
  sock.shutdown(tcp::socket::shutdown_send, ignored);
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(2));
  co_await (drain(sock) || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  sock.close(ignored);
}

asio::awaitable<error_code> send(tcp::socket& sock, const Response& r, ConnectionHeader connection,
                                 bool with_body, asio::steady_timer::duration timeout) {
  const std::string head = serialize_head(r, connection);
  const std::array<asio::const_buffer, 2> bufs{
      asio::buffer(head), with_body ? asio::buffer(r.body) : asio::const_buffer()};
  auto [ec, n] = co_await with_timeout(
      asio::async_write(sock, bufs, asio::as_tuple(asio::use_awaitable)), timeout);
  co_return ec;
}

asio::awaitable<void> reply_and_close(tcp::socket& sock, int status, std::string body,
                                      asio::steady_timer::duration timeout) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  if (!co_await send(sock, r, ConnectionHeader::close, true, timeout)) co_await linger_close(sock);
}

// Registers a connection's socket with the server for stop(), for the coroutine's lifetime.
class ConnectionEntry {
 public:
  ConnectionEntry(State& st, tcp::socket& sock) : st_(st), sock_(&sock) {
    st_.connections.insert(sock_);
  }
  ~ConnectionEntry() { st_.connections.erase(sock_); }
  ConnectionEntry(const ConnectionEntry&) = delete;
  ConnectionEntry& operator=(const ConnectionEntry&) = delete;

 private:
  State& st_;
  tcp::socket* sock_;
};

// Drops `body` request-body bytes: first those already buffered (buf[0, len)), then from the
// socket. Leaves any bytes after the body (a pipelined request) at the start of buf.
asio::awaitable<error_code> discard_body(tcp::socket& sock, std::vector<char>& buf,
                                         std::size_t& len, std::uint64_t body,
                                         asio::steady_timer::duration timeout) {
  for (;;) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(body, len));
    std::memmove(buf.data(), buf.data() + take, len - take);
    len -= take;
    body -= take;
    if (body == 0) co_return error_code{};
    auto [ec, n] = co_await with_timeout(
        sock.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable)), timeout);
    if (ec) co_return ec;
    len = n;
  }
}

asio::awaitable<void> serve_connection(std::shared_ptr<State> st, tcp::socket sock) {
  if (st->stopped) co_return;
  ConnectionEntry entry(*st, sock);
  error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  const ServerOptions& opt = st->options;
  std::vector<char> buf(opt.max_request_head);
  std::size_t len = 0;
  for (;;) {
    const ParseResult parsed = parse_request_head({buf.data(), len}, opt.max_request_head);
    if (parsed.status == ParseStatus::need_more) {
      auto [ec, n] = co_await with_timeout(
          sock.async_read_some(asio::buffer(buf.data() + len, buf.size() - len),
                               asio::as_tuple(asio::use_awaitable)),
          opt.idle_timeout);
      if (ec) co_return;  // end of stream, reset, idle timeout or stop: nobody to answer
      len += n;
      continue;
    }
    if (parsed.status == ParseStatus::too_large) {
      co_await reply_and_close(sock, 431, "request header too large\n", opt.idle_timeout);
      co_return;
    }
    if (parsed.status == ParseStatus::malformed) {
      co_await reply_and_close(sock, 400, "bad request\n", opt.idle_timeout);
      co_return;
    }
    const Request& req = parsed.request;
    const std::uint64_t body = req.content_length.value_or(0);
    if (body > opt.max_request_body) {
      co_await reply_and_close(sock, 413, "request body too large\n", opt.idle_timeout);
      co_return;
    }
    const Response response =
        handle_request(req, st->registry, st->ready.load(std::memory_order_acquire));
    const bool with_body = req.method != "HEAD";
    // A chunked body is not read here, so the connection cannot be reused after it.
    const bool close = !req.keep_alive || req.chunked || st->stopped;
    const ConnectionHeader connection = close                    ? ConnectionHeader::close
                                        : req.version_minor == 0 ? ConnectionHeader::keep_alive
                                                                 : ConnectionHeader::none;
    // `req` points into buf: done with it before the buffer moves.
    std::memmove(buf.data(), buf.data() + req.head_size, len - req.head_size);
    len -= req.head_size;
    if (!close && co_await discard_body(sock, buf, len, body, opt.idle_timeout)) co_return;
    if (co_await send(sock, response, connection, with_body, opt.idle_timeout)) co_return;
    if (close) {
      co_await linger_close(sock);
      co_return;
    }
  }
}

void log_failure(const char* what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("admin: {} failed: {}", what, ex.what());
  } catch (...) {
    spdlog::error("admin: {} failed", what);
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> st) {
  const auto ex = co_await asio::this_coro::executor;
  asio::steady_timer backoff(ex);
  while (!st->stopped) {
    auto [ec, sock] = co_await st->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (st->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, usually: back off instead of spinning.
      spdlog::warn("admin: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    asio::co_spawn(ex, serve_connection(st, std::move(sock)),
                   [](std::exception_ptr e) { log_failure("connection", e); });
  }
}

[[noreturn]] void throw_bind_error(const error_code& ec, const tcp::endpoint& ep, const char* op) {
  throw std::system_error(std::error_code(ec), std::string("admin server: cannot ") + op + " " +
                                                   ep.address().to_string() + ":" +
                                                   std::to_string(ep.port()));
}

}  // namespace

Server::Server(asio::io_context& ioc, const tcp::endpoint& listen,
               const metrics::Registry& registry, const std::atomic<bool>& ready,
               ServerOptions options)
    : state_(std::make_shared<State>(ioc, registry, ready, options)) {
  tcp::acceptor& acc = state_->acceptor;
  error_code ec;
  acc.open(listen.protocol(), ec);
  if (ec) throw_bind_error(ec, listen, "open a socket for");
  acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) throw_bind_error(ec, listen, "set SO_REUSEADDR on");
  acc.bind(listen, ec);
  if (ec) throw_bind_error(ec, listen, "bind");
  acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw_bind_error(ec, listen, "listen on");
  local_ = acc.local_endpoint(ec);
  if (ec) throw_bind_error(ec, listen, "read the address of");
}

Server::~Server() { stop(); }

void Server::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_),
                 [](std::exception_ptr e) { log_failure("accept loop", e); });
}

void Server::stop() {
  asio::dispatch(state_->acceptor.get_executor(), [st = state_] {
    if (st->stopped) return;
    st->stopped = true;
    error_code ignored;
    st->acceptor.close(ignored);
    // Closing fails the pending operations with operation_aborted; each coroutine then returns
    // and unregisters its socket (later, from its own completion, so this loop is safe).
    for (tcp::socket* sock : st->connections) sock->close(ignored);
  });
}

}  // namespace weft::admin
