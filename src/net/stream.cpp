#include "weft/net/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tls_state.hpp"
#include "weft/net/connector.hpp"

namespace weft::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

Stream::Stream(tcp::socket socket) noexcept : socket_(std::move(socket)) {}

Stream::Stream(Stream&& other) noexcept = default;

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    close();
    socket_ = std::move(other.socket_);
    tls_ = std::move(other.tls_);
  }
  return *this;
}

Stream::~Stream() { close(); }

SSL* Stream::ssl() const noexcept { return tls_ ? tls_->ssl.get() : nullptr; }

asio::awaitable<error_code> Stream::handshake(tls::SslPtr ssl, bool server,
                                              std::span<const std::byte> already_read) {
  if (!ssl) co_return make_error_code(asio::error::invalid_argument);
  if (!socket_.is_open()) co_return make_error_code(asio::error::bad_descriptor);
  error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) co_return ec;
  if (server) {
    SSL_set_accept_state(ssl.get());
  } else {
    SSL_set_connect_state(ssl.get());
  }
  tls_ = attach_tls(std::move(ssl), socket_.native_handle(), already_read);
  if (!tls_) co_return make_error_code(asio::error::no_memory);
  for (;;) {
    const auto step = handshake_step(*tls_);
    if (step.want == TlsWant::nothing) co_return step.ec;
    const auto wait = step.want == TlsWant::read ? tcp::socket::wait_read : tcp::socket::wait_write;
    auto [wait_ec] = co_await socket_.async_wait(wait, asio::as_tuple(asio::use_awaitable));
    if (wait_ec) co_return wait_ec;
  }
}

TlsStep Stream::tls_read(void* data, std::size_t size) noexcept {
  return read_step(*tls_, data, size);
}

TlsStep Stream::tls_write(const void* data, std::size_t size) noexcept {
  return write_step(*tls_, data, size);
}

TlsWant Stream::tls_wants(wait_type type) const noexcept {
  return type == tcp::socket::wait_read ? tls_->read_wants : tls_->write_wants;
}

void Stream::shutdown_send(error_code& ec) {
  ec = {};
  if (tls_ && socket_.is_open()) {
    if (shutdown_step(*tls_).want == TlsWant::write) {
      ec = asio::error::would_block;
      return;
    }
  }
  socket_.shutdown(tcp::socket::shutdown_send, ec);
}

bool Stream::has_buffered_input() const noexcept {
  return tls_ && SSL_has_pending(tls_->ssl.get()) == 1;
}

std::size_t Stream::available(error_code& ec) const {
  std::size_t n = socket_.available(ec);
  if (tls_) n += std::max<std::size_t>(SSL_pending(tls_->ssl.get()), has_buffered_input());
  return n;
}

void Stream::cancel() noexcept {
  error_code ignored;
  socket_.cancel(ignored);
}

void Stream::close() noexcept {
  if (!socket_.is_open()) return;
  if (tls_) shutdown_step(*tls_);  // best effort: pending or not, the socket closes now
  error_code ignored;
  socket_.close(ignored);
}

void reset(Stream& stream) noexcept { reset(stream.socket()); }

}  // namespace weft::net
