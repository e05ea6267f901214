// The TLS half of a net::Stream (private to src/net): the SSL, the BIO that connects it to the
// socket's descriptor (and first to the bytes detection already read), and one step of each
// OpenSSL call mapped to bytes, an error_code or the readiness to wait for.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "weft/net/stream.hpp"
#include "weft/tls/x509.hpp"

namespace weft::net {

struct TlsState {
  enum class Shutdown : std::uint8_t { none, pending, sent };

  tls::SslPtr ssl;
  int fd = -1;
  // Bytes read off the socket before the handshake (the ClientHello), served to OpenSSL before
  // the socket; freed once served.
  std::unique_ptr<std::byte[]> prefix;
  std::size_t prefix_size = 0;
  std::size_t prefix_served = 0;
  // What the last read (write) that could not go on waits for; nothing after one that did.
  TlsWant read_wants = TlsWant::nothing;
  TlsWant write_wants = TlsWant::nothing;
  // A fatal error happened: OpenSSL forbids SSL_shutdown afterwards.
  bool failed = false;
  Shutdown shutdown = Shutdown::none;
};

/// Attaches `ssl` to `fd` through weft's socket BIO (send with MSG_NOSIGNAL, so no SIGPIPE;
/// `prefix` first), with partial writes and a moving write buffer allowed (a retried write may
/// come from another buffer address) and read-ahead on (fewer reads per record). nullptr when
/// OpenSSL cannot allocate the BIO.
std::unique_ptr<TlsState> attach_tls(tls::SslPtr ssl, int fd, std::span<const std::byte> prefix);

/// One SSL_do_handshake.
TlsStep handshake_step(TlsState& tls) noexcept;

/// One SSL_read_ex / SSL_write_ex into or from one buffer; records what it waits for.
TlsStep read_step(TlsState& tls, void* data, std::size_t size) noexcept;
TlsStep write_step(TlsState& tls, const void* data, std::size_t size) noexcept;

/// Sends close_notify once (or flushes the one pending): want == write while it waits in
/// OpenSSL's buffer. Nothing to do (nothing sent, no error) before the handshake finished,
/// after a fatal error or once sent.
TlsStep shutdown_step(TlsState& tls) noexcept;

}  // namespace weft::net
