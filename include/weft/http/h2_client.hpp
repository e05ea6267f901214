// One HTTP/2 connection to an endpoint (nghttp2 client session), multiplexing the streams of any
// number of client connections on the same worker. Runs as its own coroutine, spawned by
// H2ClientPool: connect, then read/write until GOAWAY, failure or idle. Request bodies flow from
// each H2Stream's queue into this session; response bytes flow back to the stream's H2Server.
#pragma once

#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>

#include "weft/http/context.hpp"
#include "weft/http/h2_session.hpp"
#include "weft/http/h2_stream.hpp"
#include "weft/http/proxy_error.hpp"

namespace weft::http {

class H2ClientPool;

class H2Client final : public H2Connection {
 public:
  H2Client(H2ClientPool& pool, const HttpContext& ctx, boost::asio::ip::tcp::endpoint target);
  ~H2Client() override;

  /// Connects, then serves the session until it ends. Every stream still here at the end is
  /// failed towards its client.
  boost::asio::awaitable<void> run_connection();

  /// Whether new streams may be given to this connection (no GOAWAY, not failed).
  bool usable() const noexcept { return !closing_ && !failed_; }

  /// The TLS label of this connection's tcp series (peer="dst"); ctx.endpoint_tls unless set.
  /// mTLS sets this (TlsRef::established(identity), i.e. server_id) before the connection is
  /// made, for an endpoint it connects to with TLS. Copied: the connection may outlive the
  /// table version that named the identity.
  void set_endpoint_tls(metrics::TlsRef tls) { endpoint_tls_ = metrics::TlsLabels::from(tls); }

  /// The endpoint is meshed: the connection is mTLS to its identity (tls::secure), and its tcp
  /// series say tls="true",server_id=<identity>. Before run_connection.
  void use_mtls(const discovery::Endpoint& endpoint) {
    meshed_ = endpoint;
    set_endpoint_tls(metrics::TlsRef::established(meshed_->identity));
  }

  /// Takes `s`, whose request head is complete: submits it now, or once connected.
  void add_stream(H2Stream& s);
  /// The client half of `s` went away: reset the endpoint stream with `code` and detach.
  void cancel_stream(H2Stream& s, std::uint32_t code) noexcept;
  /// Request bytes (or the request's end) arrived for `s`.
  void resume_request(H2Stream& s) noexcept;
  /// `n` response bytes of `s` were handed to the client's session: credit the endpoint.
  void consumed(H2Stream& s, std::size_t n) noexcept;

  // nghttp2 callbacks (called through the trampolines in h2_client.cpp).
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  ssize_t read_request_body(H2Stream& s, std::uint8_t* buf, std::size_t length,
                            std::uint32_t* data_flags);

 protected:
  std::size_t open_streams() const noexcept override { return stream_count_; }

 private:
  boost::asio::awaitable<void> close_when_drained();
  void submit(H2Stream& s);
  void detach(H2Stream& s) noexcept;
  void fail_all(const boost::system::error_code& ec, FailedAt at = FailedAt::exchange) noexcept;

  H2ClientPool& pool_;
  const HttpContext& ctx_;
  boost::asio::ip::tcp::endpoint target_;
  metrics::TlsLabels endpoint_tls_;  // mTLS sets this (set_endpoint_tls)
  std::optional<discovery::Endpoint> meshed_;  // a copy: the table version may go first
  EndpointStreamList streams_;
  std::size_t stream_count_ = 0;
  bool connected_ = false;
  bool failed_ = false;
};

}  // namespace weft::http
