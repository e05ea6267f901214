// The byte stream of every proxied connection, plaintext TCP or TLS: the HTTP/1 and HTTP/2
// proxies, protocol detection and the opaque duplex read and write a Stream, so that TLS is a
// property of a connection and not a second copy of the data path. Plaintext forwards each call
// straight to the socket; TLS drives OpenSSL on the socket's descriptor (non-blocking) and waits
// for readiness as OpenSSL asks. Who makes the SSL (contexts, certificates) is not its business.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "weft/tls/x509.hpp"

namespace weft::net {

/// What a TLS step needs from the socket before it can go on.
enum class TlsWant : std::uint8_t { nothing, read, write };

/// The outcome of one OpenSSL call: bytes moved, an error, or the readiness to wait for.
struct TlsStep {
  boost::system::error_code ec;
  std::size_t bytes = 0;
  TlsWant want = TlsWant::nothing;
};

struct TlsState;  // src/net/tls_state.hpp: the SSL, its BIO and the readiness bookkeeping

namespace detail {
struct TlsTransferOp;
struct TlsShutdownOp;
}  // namespace detail

/// A connected TCP socket, with TLS once handshake() has run. Movable, but not while an
/// operation is pending. Touched only on its executor's thread. At most one read and one write
/// may be outstanding at a time (a read and a write together is fine, over TLS too).
///
/// Reading, two ways:
/// - async_read_some / async_write_some: the AsyncReadStream / AsyncWriteStream model, so that
///   asio::async_read/async_write, use_awaitable and as_tuple work as on a socket;
/// - read_some (never blocks; would_block when nothing is there) plus async_wait(wait_read),
///   which completes when a read_some can make progress: the socket's readiness for plaintext,
///   and over TLS whatever the last read lacked (at once when decrypted bytes are buffered).
///   This lets a reader hold no buffer while the peer is quiet.
///
/// Errors over TLS: a close_notify from the peer is asio::error::eof; a TCP end without one
/// (truncation) is asio::ssl::error::stream_truncated; a socket failure is its errno
/// (SSL_ERROR_SYSCALL; eof when there is none); any other TLS failure is errc::tls_handshake.
class Stream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using wait_type = boost::asio::ip::tcp::socket::wait_type;

  explicit Stream(boost::asio::ip::tcp::socket socket) noexcept;
  Stream(Stream&& other) noexcept;
  /// Closes this stream first (as close()).
  Stream& operator=(Stream&& other) noexcept;
  /// Closes as close() does.
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  /// The TCP socket underneath: options, addresses, the descriptor, net::reset. Reading or
  /// writing it directly bypasses TLS.
  boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }
  const boost::asio::ip::tcp::socket& socket() const noexcept { return socket_; }
  bool is_open() const noexcept { return socket_.is_open(); }
  /// Whether an SSL is attached (handshake() was called, whatever its outcome).
  bool tls() const noexcept { return tls_ != nullptr; }
  /// The attached SSL (peer certificate, ALPN, verify result), or nullptr for plaintext.
  SSL* ssl() const noexcept;

  /// Runs the TLS handshake to its end with readiness waits, after attaching `ssl` (made by the
  /// caller, with its context and verification settled) to the socket, which becomes
  /// non-blocking. `already_read`: bytes that protocol detection already took from the socket
  /// (the ClientHello); OpenSSL reads them first, then the socket. They are copied.
  /// Unbounded in time: the caller races it with a timer; cancelling the awaiting coroutine or
  /// closing the socket ends it with operation_aborted. Errors: errc::tls_handshake (the SSL's
  /// error queue was logged at debug; SSL_get_verify_result tells a certificate failure), the
  /// socket's error, eof.
  boost::asio::awaitable<boost::system::error_code> handshake(
      tls::SslPtr ssl, bool server, std::span<const std::byte> already_read = {});

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token);

  /// Over TLS, writes the first non-empty buffer (at most one record) per call.
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token);

  /// A read that never blocks: would_block when nothing can be read now (then async_wait).
  /// Plaintext needs the socket in non-blocking mode (net::prepare_socket).
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec);

  /// Completes when a read_some (wait_read) could make progress; see the class comment.
  /// wait_write: the socket's writability, or over TLS what the last write lacked.
  template <class Token>
  auto async_wait(wait_type type, Token&& token);

  /// Ends the sending direction; reading goes on. TLS: one SSL_shutdown (a close_notify; the
  /// peer's is not waited for), then TCP shutdown(send). Should the close_notify not fit in the
  /// socket's send buffer now, `ec` is would_block and TCP stays open: wait for wait_write and
  /// call again (async_shutdown_send does that). Plaintext: TCP shutdown(send) only.
  void shutdown_send(boost::system::error_code& ec);

  /// shutdown_send, waiting for writability when TLS needs it. Signature void(error_code).
  template <class Token>
  auto async_shutdown_send(Token&& token);

  /// TLS: whether OpenSSL holds bytes read from the socket and not yet returned (decrypted
  /// data or whole or partial records; SSL_has_pending). Plaintext: false.
  bool has_buffered_input() const noexcept;

  /// Bytes readable without waiting, roughly: the socket's plus, over TLS, at least 1 when
  /// OpenSSL buffers input. For "is anything unread", not for sizing.
  std::size_t available(boost::system::error_code& ec) const;

  /// Cancels pending operations (they complete with operation_aborted).
  void cancel() noexcept;

  /// Closes the socket. TLS: first a close_notify when it can go at once (never waited for),
  /// so that the peer sees an orderly end as a plaintext peer sees FIN. For an abortive close
  /// use net::reset.
  void close() noexcept;

 private:
  friend struct detail::TlsTransferOp;
  friend struct detail::TlsShutdownOp;

  TlsStep tls_read(void* data, std::size_t size) noexcept;
  TlsStep tls_write(const void* data, std::size_t size) noexcept;
  TlsWant tls_wants(wait_type type) const noexcept;

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsState> tls_;  // null for plaintext
};

/// Closes so that the peer sees a reset (RST), not an orderly end: no close_notify either.
void reset(Stream& stream) noexcept;

namespace detail {

template <class Buffer, class BufferSequence>
Buffer first_buffer(const BufferSequence& buffers) noexcept {
  auto it = boost::asio::buffer_sequence_begin(buffers);
  const auto end = boost::asio::buffer_sequence_end(buffers);
  for (; it != end; ++it) {
    Buffer b(*it);
    if (b.size() > 0) return b;
  }
  return Buffer();
}

// One TLS read or write: try OpenSSL, wait for the readiness it asks for, try again. A result
// that needed no wait is posted, never delivered inside the initiating call (asio's rule).
struct TlsTransferOp {
  TlsTransferOp(Stream* s, void* d, std::size_t n, bool w) noexcept
      : stream(s), data(d), size(n), write(w) {}

  Stream* stream;
  void* data;
  std::size_t size;
  bool write;
  bool started = false;
  bool done = false;
  TlsStep result{};

  template <class Self>
  void operator()(Self& self, boost::system::error_code wait_ec = {}) {
    namespace asio = boost::asio;
    if (done) {
      self.complete(result.ec, result.bytes);
      return;
    }
    if (wait_ec) {
      self.complete(wait_ec, std::size_t{0});
      return;
    }
    const bool first = !started;
    started = true;
    if (size > 0) {
      result = write ? stream->tls_write(data, size) : stream->tls_read(data, size);
      if (result.want != TlsWant::nothing) {
        stream->socket_.async_wait(result.want == TlsWant::read ? asio::socket_base::wait_read
                                                                : asio::socket_base::wait_write,
                                   std::move(self));
        return;
      }
    }
    if (first) {
      done = true;
      asio::post(stream->socket_.get_executor(), std::move(self));
      return;
    }
    self.complete(result.ec, result.bytes);
  }
};

struct TlsShutdownOp {
  explicit TlsShutdownOp(Stream* s) noexcept : stream(s) {}

  Stream* stream;
  bool started = false;
  bool done = false;
  boost::system::error_code ec;

  template <class Self>
  void operator()(Self& self, boost::system::error_code wait_ec = {}) {
    namespace asio = boost::asio;
    if (done) {
      self.complete(ec);
      return;
    }
    if (wait_ec) {
      self.complete(wait_ec);
      return;
    }
    const bool first = !started;
    started = true;
    stream->shutdown_send(ec);
    if (ec == asio::error::would_block) {
      stream->socket_.async_wait(asio::socket_base::wait_write, std::move(self));
      return;
    }
    if (first) {
      done = true;
      asio::post(stream->socket_.get_executor(), std::move(self));
      return;
    }
    self.complete(ec);
  }
};

}  // namespace detail

template <class MutableBufferSequence, class Token>
auto Stream::async_read_some(const MutableBufferSequence& buffers, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      [this](auto handler, const MutableBufferSequence& b) {
        if (!tls_) {
          socket_.async_read_some(b, std::move(handler));
          return;
        }
        const auto first = detail::first_buffer<boost::asio::mutable_buffer>(b);
        boost::asio::async_compose<decltype(handler), void(boost::system::error_code, std::size_t)>(
            detail::TlsTransferOp{this, first.data(), first.size(), false}, handler, socket_);
      },
      token, buffers);
}

template <class ConstBufferSequence, class Token>
auto Stream::async_write_some(const ConstBufferSequence& buffers, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      [this](auto handler, const ConstBufferSequence& b) {
        if (!tls_) {
          socket_.async_write_some(b, std::move(handler));
          return;
        }
        const auto first = detail::first_buffer<boost::asio::const_buffer>(b);
        boost::asio::async_compose<decltype(handler), void(boost::system::error_code, std::size_t)>(
            detail::TlsTransferOp{this, const_cast<void*>(first.data()), first.size(), true},
            handler, socket_);
      },
      token, buffers);
}

template <class MutableBufferSequence>
std::size_t Stream::read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
  if (!tls_) return socket_.read_some(buffers, ec);
  const auto first = detail::first_buffer<boost::asio::mutable_buffer>(buffers);
  ec = {};
  if (first.size() == 0) return 0;
  const auto step = tls_read(first.data(), first.size());
  if (step.want != TlsWant::nothing) {
    ec = boost::asio::error::would_block;
    return 0;
  }
  ec = step.ec;
  return step.bytes;
}

template <class Token>
auto Stream::async_wait(wait_type type, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
      [this](auto handler, wait_type t) {
        if (!tls_ || t == boost::asio::socket_base::wait_error) {
          socket_.async_wait(t, std::move(handler));
          return;
        }
        switch (tls_wants(t)) {
          case TlsWant::nothing:
            boost::asio::post(socket_.get_executor(),
                              boost::asio::append(std::move(handler), boost::system::error_code{}));
            return;
          case TlsWant::read:
            socket_.async_wait(boost::asio::socket_base::wait_read, std::move(handler));
            return;
          case TlsWant::write:
            socket_.async_wait(boost::asio::socket_base::wait_write, std::move(handler));
            return;
        }
      },
      token, type);
}

template <class Token>
auto Stream::async_shutdown_send(Token&& token) {
  return boost::asio::async_compose<Token, void(boost::system::error_code)>(
      detail::TlsShutdownOp{this}, token, socket_);
}

}  // namespace weft::net
