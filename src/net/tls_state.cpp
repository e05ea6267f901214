#include "tls_state.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <climits>
#include <cstring>

#include "weft/core/error.hpp"

namespace weft::net {

namespace {

using boost::system::error_code;

// weft's socket BIO. OpenSSL's own (BIO_s_socket) writes with write(2), which raises SIGPIPE
// on a reset peer; this one sends with MSG_NOSIGNAL, and serves the bytes detection read before
// it reads the socket, which spares swapping BIOs in the middle of a handshake.
TlsState* state_of(BIO* bio) { return static_cast<TlsState*>(BIO_get_data(bio)); }

int bio_read(BIO* bio, char* out, int len) {
  BIO_clear_retry_flags(bio);
  TlsState* s = state_of(bio);
  if (len <= 0) return 0;
  if (s->prefix_served < s->prefix_size) {
    const auto n = std::min(static_cast<std::size_t>(len), s->prefix_size - s->prefix_served);
    std::memcpy(out, s->prefix.get() + s->prefix_served, n);
    s->prefix_served += n;
    if (s->prefix_served == s->prefix_size) {
      s->prefix.reset();
      s->prefix_size = s->prefix_served = 0;
    }
    return static_cast<int>(n);
  }
  for (;;) {
    const ssize_t n = ::recv(s->fd, out, static_cast<std::size_t>(len), 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      // Tells OpenSSL (BIO_eof) that this is the end of the stream, so that an end without
      // close_notify is reported as such rather than as a bare SSL_ERROR_SYSCALL.
      BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return -1;
  }
}

int bio_write(BIO* bio, const char* in, int len) {
  BIO_clear_retry_flags(bio);
  TlsState* s = state_of(bio);
  if (len <= 0) return 0;
  for (;;) {
    const ssize_t n = ::send(s->fd, in, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return -1;
  }
}

long bio_ctrl(BIO* bio, int cmd, long /*num*/, void* ptr) {
  TlsState* s = state_of(bio);
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;  // nothing is buffered here
    case BIO_CTRL_EOF: return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    case BIO_CTRL_PENDING: return static_cast<long>(s->prefix_size - s->prefix_served);
    case BIO_CTRL_WPENDING: return 0;
    case BIO_C_GET_FD:
      if (ptr != nullptr) *static_cast<int*>(ptr) = s->fd;
      return s->fd;
    default: return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int bio_destroy(BIO*) { return 1; }  // the state belongs to the Stream

const BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "weft socket");
    if (m == nullptr) return m;
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

bool is_unexpected_eof() noexcept {
  const unsigned long e = ERR_peek_error();
  return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

// Maps SSL_get_error after a call that returned `ret` (errno as it was right after the call).
TlsStep classify(TlsState& tls, int ret, int saved_errno, bool handshake) noexcept {
  switch (SSL_get_error(tls.ssl.get(), ret)) {
    case SSL_ERROR_WANT_READ: return {{}, 0, TlsWant::read};
    case SSL_ERROR_WANT_WRITE: return {{}, 0, TlsWant::write};
    case SSL_ERROR_ZERO_RETURN: return {boost::asio::error::eof};
    case SSL_ERROR_SYSCALL:
      tls.failed = true;
      ERR_clear_error();
      if (saved_errno == 0) return {boost::asio::error::eof};
      return {error_code(saved_errno, boost::system::system_category())};
    default: break;  // SSL_ERROR_SSL, and callbacks' retries that weft never asks for
  }
  tls.failed = true;
  error_code ec = make_error_code(errc::tls_handshake);
  if (!handshake && is_unexpected_eof()) ec = boost::asio::ssl::error::stream_truncated;
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{}", tls::openssl_errors(handshake ? "tls handshake" : "tls"));
  }
  ERR_clear_error();
  return {ec};
}

}  // namespace

std::unique_ptr<TlsState> attach_tls(tls::SslPtr ssl, int fd, std::span<const std::byte> prefix) {
  const BIO_METHOD* method = socket_method();
  if (method == nullptr || !ssl) return nullptr;
  auto state = std::make_unique<TlsState>();
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, state.get());
  state->fd = fd;
  if (!prefix.empty()) {
    state->prefix = std::make_unique_for_overwrite<std::byte[]>(prefix.size());
    std::memcpy(state->prefix.get(), prefix.data(), prefix.size());
    state->prefix_size = prefix.size();
  }
  SSL_set_bio(ssl.get(), bio, bio);  // one reference, owned by the SSL from here
  SSL_set_mode(ssl.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_read_ahead(ssl.get(), 1);
  state->ssl = std::move(ssl);
  return state;
}

TlsStep handshake_step(TlsState& tls) noexcept {
  ERR_clear_error();
  const int ret = SSL_do_handshake(tls.ssl.get());
  const int saved_errno = errno;
  if (ret == 1) return {};
  return classify(tls, ret, saved_errno, true);
}

TlsStep read_step(TlsState& tls, void* data, std::size_t size) noexcept {
  ERR_clear_error();
  std::size_t n = 0;
  const int ret = SSL_read_ex(tls.ssl.get(), data, size, &n);
  const int saved_errno = errno;
  if (ret == 1) {
    tls.read_wants = TlsWant::nothing;
    return {{}, n};
  }
  auto step = classify(tls, ret, saved_errno, false);
  tls.read_wants = step.want;
  return step;
}

TlsStep write_step(TlsState& tls, const void* data, std::size_t size) noexcept {
  ERR_clear_error();
  std::size_t n = 0;
  const int ret = SSL_write_ex(tls.ssl.get(), data, size, &n);
  const int saved_errno = errno;
  if (ret == 1) {
    tls.write_wants = TlsWant::nothing;
    return {{}, n};
  }
  auto step = classify(tls, ret, saved_errno, false);
  tls.write_wants = step.want;
  return step;
}

TlsStep shutdown_step(TlsState& tls) noexcept {
  if (tls.failed || tls.shutdown == TlsState::Shutdown::sent ||
      SSL_is_init_finished(tls.ssl.get()) != 1) {
    return {};
  }
  ERR_clear_error();
  // The first call queues close_notify and sends it; a later one (while pending) only flushes
  // it. Never call it once sent: it would then wait for the peer's close_notify.
  const int ret = SSL_shutdown(tls.ssl.get());
  if (ret >= 0) {
    tls.shutdown = TlsState::Shutdown::sent;
    return {};
  }
  if (SSL_get_error(tls.ssl.get(), ret) == SSL_ERROR_WANT_WRITE) {
    tls.shutdown = TlsState::Shutdown::pending;
    return {{}, 0, TlsWant::write};
  }
  // It cannot be sent (the socket failed): the TCP end is all the peer will see.
  ERR_clear_error();
  tls.shutdown = TlsState::Shutdown::sent;
  return {};
}

}  // namespace weft::net
