// The HTTP/1 message codec: an incremental parser over llhttp that turns bytes read from a client
// (requests) or an endpoint (responses) into message events for a handler, and rejects the shapes
// that enable request smuggling. Pure logic, no I/O: the connection code owns the reads and feeds
// the bytes.
#pragma once

#include <llhttp.h>

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "weft/core/result.hpp"

namespace weft::http {

/// Why an HTTP/1 message was rejected. Each value answers with one status (status_for).
enum class h1_error {
  /// The request line (or status line) and fields exceed the head size limit. 431.
  header_too_large = 1,
  /// More fields than the header count limit. 431.
  too_many_headers,
  /// Not HTTP/1 syntax: bad method, target, version, field name or value, line ending. 400.
  malformed,
  /// A framing ambiguity that lets two parsers disagree on where a message ends: Content-Length
  /// with Transfer-Encoding, several Content-Length, chunked not final, obs-fold, whitespace
  /// before a field's colon, an invalid chunk size. 400.
  smuggling,
  /// A request with a transfer coding other than chunked (e.g. "gzip, chunked"). 501.
  unsupported_transfer_encoding,
};

const boost::system::error_category& h1_category() noexcept;

inline boost::system::error_code make_error_code(h1_error e) noexcept {
  return {static_cast<int>(e), h1_category()};
}

/// The HTTP status the proxy answers a client with for `e`: 431, 400 or 501.
unsigned status_for(h1_error e) noexcept;

enum class MessageKind { request, response };

struct H1Limits {
  /// Bytes of request/status line plus fields, from the first byte of the line (a response's from
  /// its version digits, 5 bytes in) to the last byte of the last field value. Trailer fields get
  /// the same bounds (bytes and count), counted on their own.
  std::size_t max_head_bytes = 64 * 1024;
  std::size_t max_headers = 100;
};

struct Header {
  std::string_view name;
  std::string_view value;
};

/// A parsed message head. Every view points into the parser's per-message block and is valid only
/// during H1Handler::on_head; copy what must outlive it.
struct MessageHead {
  MessageKind kind = MessageKind::request;
  std::string_view method;  ///< Requests: "GET", "HEAD", …
  std::string_view target;  ///< Requests: the request target as sent.
  unsigned status = 0;      ///< Responses: the status code.
  unsigned version_major = 1;
  unsigned version_minor = 1;
  std::span<const Header> headers;
  /// Whether the connection may carry another message after this one (HTTP/1.1 unless
  /// "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive = false;
  /// Requests: HTTP/1.1 with "Expect: 100-continue"; the client waits before sending the body.
  bool expect_continue = false;
  /// Requests: CONNECT, or Upgrade with "Connection: upgrade". Responses: 101 with both. After
  /// this message the bytes are another protocol (H1Parser::upgraded).
  bool upgrade = false;
  /// Whether the body is chunked; otherwise its length is content_length, or none, or (responses
  /// only) up to the end of the connection.
  bool chunked = false;
  std::optional<std::uint64_t> content_length;
  /// Whether this message has no body whatever its fields say (HEAD responses, 1xx, 204, 304).
  bool no_body = false;

  /// The first field called `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> find(std::string_view name) const noexcept;
  /// Whether the field `name` must be dropped when forwarding: fixed hop-by-hop, or named by
  /// any of this message's Connection fields.
  bool is_hop_by_hop(std::string_view name) const noexcept;
};

/// Receives a parser's events, in order: on_head, on_body zero or more times, on_trailers when a
/// chunked body ends with trailer fields, on_message_complete. Called from inside H1Parser::feed
/// on the feeding thread.
class H1Handler {
 public:
  virtual ~H1Handler() = default;
  virtual void on_head(const MessageHead& head) = 0;
  /// Body bytes, de-chunked; the span points into the buffer passed to feed.
  virtual void on_body(std::span<const std::byte> bytes) = 0;
  /// The trailer section's fields, as received; the views are valid only during the call.
  virtual void on_trailers(std::span<const Header> trailers) { (void)trailers; }
  virtual void on_message_complete() = 0;
};

/// Whether a response has no body by the rules of RFC 9110: it answers HEAD, or is 1xx, 204 or 304.
bool response_has_no_body(bool request_was_head, unsigned status) noexcept;

/// An incremental HTTP/1 parser for one connection's messages in one direction. Reused across
/// messages: the per-message block and field table keep their capacity, so a steady stream of
/// messages does not allocate. Not copyable or movable (llhttp holds a pointer to it).
/// Single-threaded: use it from the one coroutine that owns the connection.
class H1Parser {
 public:
  H1Parser(MessageKind kind, H1Handler& handler, H1Limits limits = {});
  H1Parser(const H1Parser&) = delete;
  H1Parser& operator=(const H1Parser&) = delete;

  /// Parses `bytes` and returns how many were consumed. Stops after each complete message, so
  /// fewer than `bytes.size()` are consumed when a message ends inside them: the caller handles
  /// the message, then feeds the rest (pipelining, one message at a time). After an upgrade
  /// message, consumes nothing more; the remaining bytes are the new protocol's. Errors: h1_error;
  /// once an error is returned, every later call returns it until reset().
  result<std::size_t> feed(std::span<const std::byte> bytes);

  /// The reading side saw end of stream. Completes a response whose body runs to the end of the
  /// connection; errors with h1_error::malformed if a message was cut short.
  result<void> finish();

  /// Responses only: the next response answers a HEAD request, so it has no body.
  void set_response_to_head(bool head) noexcept { response_to_head_ = head; }

  /// Whether the last message switched protocols (CONNECT or Upgrade accepted).
  bool upgraded() const noexcept { return upgraded_; }
  /// Whether part of a message has been parsed and not yet completed.
  bool in_message() const noexcept { return in_message_; }

  /// Back to the start state for a new connection; keeps buffers' capacity.
  void reset() noexcept;

  // The llhttp trampolines call these.
  int handle_message_begin() noexcept;
  int handle_span(int which, const char* at, std::size_t len) noexcept;
  int handle_headers_complete() noexcept;
  int handle_body(const char* at, std::size_t len) noexcept;
  int handle_message_complete() noexcept;

 private:
  struct FieldSpan {
    std::uint32_t name_off, name_len, value_off, value_len;
  };
  enum class Last { none, url, field, value };

  int fail(h1_error e) noexcept;
  int handle_trailer_span(int which, const char* at, std::size_t len) noexcept;
  int record_field_span(int which, const char* at, std::size_t len) noexcept;
  void fill_views();
  std::uint64_t stream_pos(const char* at) const noexcept;
  std::optional<h1_error> check_framing(MessageHead& head) const noexcept;
  h1_error map_llhttp_error(llhttp_errno_t err, const char* pos) const noexcept;

  llhttp_t parser_{};
  H1Handler& handler_;
  H1Limits limits_;
  MessageKind kind_;

  std::string block_;              // url and field bytes of the current message
  std::vector<FieldSpan> fields_;  // offsets into block_
  std::vector<Header> views_;      // filled at headers complete
  std::uint32_t url_off_ = 0, url_len_ = 0;
  Last last_ = Last::none;

  const char* feed_begin_ = nullptr;            // start of the buffer being fed
  std::uint64_t fed_before_ = 0;                // stream bytes consumed before feed_begin_
  std::optional<std::uint64_t> head_start_;     // stream offset of the message's first byte
  std::uint64_t value_end_ = 0;                 // stream offset just past the last field-value span
  std::optional<std::uint64_t> trailer_start_;  // stream offset of the first trailer byte
  std::optional<h1_error> pending_;  // error raised by a callback
  std::optional<h1_error> failed_;   // sticky error
  bool paused_ = false;
  bool upgraded_ = false;
  bool in_message_ = false;
  bool response_to_head_ = false;
  bool obs_fold_ = false;
  bool head_done_ = false;  // headers complete: further field spans are trailers
};

}  // namespace weft::http

template <>
struct boost::system::is_error_code_enum<weft::http::h1_error> : std::true_type {};
