// One HTTP/2 connection's codec and I/O, shared by the server side (towards clients) and the
// client side (towards endpoints): an nghttp2 session driven through mem_recv/mem_send so that
// this code owns the stream (plaintext or TLS), a reader that feeds it 16 KiB at a time, a writer that batches
// everything nghttp2 has to say into one write per turn, PING keepalive and the idle timer.
// The subclasses (h2_server.cpp, h2_client.cpp) install the callbacks that bridge streams.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "weft/core/config.hpp"
#include "weft/metrics/tcp.hpp"
#include "weft/net/buffer_pool.hpp"
#include "weft/net/stream.hpp"

namespace weft::http {

struct SessionDeleter {
  void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
};
using SessionPtr = std::unique_ptr<nghttp2_session, SessionDeleter>;

/// The nghttp2 error code (NGHTTP2_PROTOCOL_ERROR, ...) as an error_code in nghttp2's category
/// (its name is nghttp2_http2_strerror).
boost::system::error_code make_h2_error(std::uint32_t code) noexcept;

/// The errors of nghttp2's library calls (negative nghttp2_error values).
boost::system::error_code make_nghttp2_lib_error(int lib_error) noexcept;

/// response_total's error label for a stream that ended with RST_STREAM `code`:
/// "h2(PROTOCOL_ERROR)", "h2(CANCEL)", ... (string literals).
std::string_view h2_error_label(std::uint32_t code) noexcept;

/// Creates a session with automatic WINDOW_UPDATE off (the proxy consumes bytes only once the
/// other side took them) and the header limits of `settings`, and queues the SETTINGS frame
/// (and, for the connection window, a WINDOW_UPDATE). `server`: the side towards clients.
SessionPtr make_session(bool server, const nghttp2_session_callbacks* callbacks, void* user_data,
                        const core::Http2Settings& settings);

/// The transport of one HTTP/2 connection. Not movable: sessions and streams point at it.
class H2Connection {
 public:
  H2Connection(net::Stream stream, metrics::TcpConnMetrics metrics,
               net::BufferPool& buffers, const core::Http2Settings& settings,
               core::duration idle_timeout);
  virtual ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  nghttp2_session* session() const noexcept { return session_.get(); }
  /// Wakes the writer: nghttp2 may have frames to send (after a submit, consume or resume).
  void want_write() noexcept;
  /// Reads, writes and keeps alive until the session wants neither to read nor to write, the
  /// peer closes or fails, or the keepalive or idle timer ends it. `initial`: bytes already read
  /// (the client preface that detection saw). Returns the transport error, if any.
  boost::asio::awaitable<boost::system::error_code> run(std::span<const std::byte> initial);
  /// Ends run() at once (the writer flushes nothing more). For fatal codec errors.
  void abort(const boost::system::error_code& ec) noexcept;
  /// Queues GOAWAY(NO_ERROR) so that the connection ends once its streams have.
  void go_away(std::uint32_t code = NGHTTP2_NO_ERROR) noexcept;
  bool closing() const noexcept { return closing_; }

 protected:
  void set_session(SessionPtr session) noexcept { session_ = std::move(session); }
  /// Called for every PING ACK received (keepalive bookkeeping); subclasses call it from their
  /// on_frame_recv callback.
  void on_ping_ack(const std::uint8_t* opaque_data) noexcept;
  /// Streams the subclass still bridges; the idle timer runs only while this is zero.
  virtual std::size_t open_streams() const noexcept = 0;
  /// Called after every mem_recv batch (the subclass wakes the other sides it fed).
  virtual void after_recv() noexcept {}
  /// Called when a drain PING's ACK arrives (server side: send the final GOAWAY).
  virtual void on_drain_ping_ack() noexcept {}
  /// Sends a PING whose ACK calls on_drain_ping_ack().
  void ping_for_drain() noexcept;

  net::Stream stream_;
  metrics::TcpConnMetrics metrics_;
  bool closing_ = false;

 private:
  boost::asio::awaitable<void> read_loop(std::span<const std::byte> initial);
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> timer_loop();
  bool feed(std::span<const std::byte> bytes) noexcept;
  bool finished() const noexcept;

  SessionPtr session_;
  net::BufferPool& buffers_;
  const core::Http2Settings& settings_;
  core::duration idle_timeout_;
  boost::asio::steady_timer wake_;
  bool wake_pending_ = false;
  bool writing_ = false;
  bool done_ = false;
  boost::system::error_code error_;
  std::string out_;  // one loop turn's output, reused
  // Keepalive: the time the outstanding PING was sent; zero when none is outstanding.
  std::chrono::steady_clock::time_point ping_sent_{};
  std::chrono::steady_clock::time_point last_active_;
};

}  // namespace weft::http
