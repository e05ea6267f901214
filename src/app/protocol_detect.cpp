#include "weft/app/protocol_detect.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "weft/core/clock.hpp"
#include "weft/detect/http.hpp"

namespace weft::app {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

metrics::DetectResult result_of(detect::Protocol p) {
  switch (p) {
    case detect::Protocol::http1: return metrics::DetectResult::http1;
    case detect::Protocol::http2: return metrics::DetectResult::http2;
    case detect::Protocol::not_http: return metrics::DetectResult::not_http;
  }
  return metrics::DetectResult::not_http;
}

// HTTP clients send a whole request line or preface without waiting for the server, so once a
// client has sent an undecided prefix, the rest follows within packet-level delays (Nagle and
// delayed ACKs stay well under this). A client that sends, say, a bare token and then waits for
// an answer is not speaking HTTP: it goes opaque after this pause instead of the detect timeout.
constexpr auto kPartialPause = std::chrono::milliseconds(200);

}  // namespace

asio::awaitable<Detection> detect_protocol(net::Stream& client, core::duration timeout,
                                           Detection start) {
  constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
  Detection d = std::move(start);
  asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
  for (;;) {
    if (d.replay) {
      if (auto p = detect::detect_http(d.replay_bytes())) {
        d.result = result_of(*p);
        co_return d;
      }
    }
    // Wait for bytes or the deadline; a buffer is leased only once the client is readable.
    auto ready =
        co_await (client.async_wait(tcp::socket::wait_read, kAwait) || deadline.async_wait(kAwait));
    if (ready.index() == 1) {
      // Silence before any byte is a read timeout; a pause after an undecided prefix means the
      // client is waiting for the server, which an HTTP client never does at this point.
      d.result =
          d.replay_size > 0 ? metrics::DetectResult::not_http : metrics::DetectResult::read_timeout;
      co_return d;
    }
    if (auto [ec] = std::get<0>(ready); ec) {
      d.client_error = ec;
      d.result = metrics::DetectResult::error;
      co_return d;
    }
    if (!d.replay) {
      d.replay = std::make_unique_for_overwrite<std::byte[]>(detect::kMaxDetectBytes);
      d.replay_capacity = detect::kMaxDetectBytes;
    }
    boost::system::error_code ec;
    const std::size_t n = client.read_some(
        asio::buffer(d.replay.get() + d.replay_size, detect::kMaxDetectBytes - d.replay_size), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec == asio::error::eof) {
      // A client that ends its stream before the bytes decide: opaque if it sent anything,
      // otherwise there is nothing to forward (Linkerd: "closed before protocol detection").
      d.client_eof = true;
      d.result = d.replay_size > 0 ? metrics::DetectResult::not_http : metrics::DetectResult::error;
      co_return d;
    }
    if (ec) {
      d.client_error = ec;
      d.result = metrics::DetectResult::error;
      co_return d;
    }
    d.replay_size += n;
    // Bytes arrived: the rest of a request line or preface must follow promptly.
    const auto pause_end = Clock::now() + kPartialPause;
    if (pause_end < deadline.expiry()) deadline.expires_at(pause_end);
  }
}

asio::awaitable<tls::HelloParse> read_client_hello(net::Stream& client, Detection& d,
                                                   core::duration timeout) {
  constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
  asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
  tls::HelloParse parsed{};
  for (;;) {
    if (d.replay_size > 0) {
      parsed = tls::parse_client_hello(d.replay_bytes());
      if (parsed.status != tls::HelloStatus::need_more) co_return parsed;
    }
    auto ready =
        co_await (client.async_wait(tcp::socket::wait_read, kAwait) || deadline.async_wait(kAwait));
    if (ready.index() == 1) {
      d.result =
          d.replay_size > 0 ? metrics::DetectResult::not_http : metrics::DetectResult::read_timeout;
      co_return parsed;
    }
    if (auto [ec] = std::get<0>(ready); ec) {
      d.client_error = ec;
      d.result = metrics::DetectResult::error;
      co_return parsed;
    }
    // Most hellos fit the detection buffer; a larger one (many extensions, post-quantum key
    // shares) moves to one of the parser's cap, which always decides.
    if (!d.replay) {
      d.replay = std::make_unique_for_overwrite<std::byte[]>(detect::kMaxDetectBytes);
      d.replay_capacity = detect::kMaxDetectBytes;
    } else if (d.replay_size == d.replay_capacity) {
      auto bigger = std::make_unique_for_overwrite<std::byte[]>(tls::kMaxClientHello);
      std::memcpy(bigger.get(), d.replay.get(), d.replay_size);
      d.replay = std::move(bigger);
      d.replay_capacity = tls::kMaxClientHello;
    }
    boost::system::error_code ec;
    const std::size_t n = client.read_some(
        asio::buffer(d.replay.get() + d.replay_size, d.replay_capacity - d.replay_size), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec) {
      if (ec == asio::error::eof) {
        d.client_eof = true;
      } else {
        d.client_error = ec;
      }
      d.result = d.replay_size > 0 && !d.client_error ? metrics::DetectResult::not_http
                                                      : metrics::DetectResult::error;
      co_return parsed;
    }
    d.replay_size += n;
  }
}

}  // namespace weft::app
