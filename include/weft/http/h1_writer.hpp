// Serializing HTTP/1.1 message heads for the next hop: the start line, every field that is not
// hop-by-hop (RFC 9110 §7.6.1), and the framing and connection fields the proxy chooses for that
// hop. Appends to a caller-owned string that is reused across messages, so a steady stream of
// messages does not allocate. Used by the HTTP/1 proxy (h1_proxy) in both directions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "weft/http/h1_parser.hpp"

namespace weft::http {

/// How a forwarded message's body is delimited on the next hop.
enum class BodyFraming {
  none,             ///< no body (or the message cannot have one: HEAD, 1xx, 204, 304)
  content_length,   ///< the Content-Length field passes through unchanged
  chunked,          ///< the proxy writes transfer-encoding: chunked and chunks the body itself
  close_delimited,  ///< responses only: the body runs to the end of the connection
};

/// Appends `head`, a request, as HTTP/1.1: "<method> <target> HTTP/1.1", its end-to-end fields,
/// `transfer-encoding: chunked` when `framing` is chunked, and for an upgrade request its Upgrade
/// field with `connection: upgrade`. `host` (when not empty) is added as a Host field, for
/// HTTP/1.0 requests that had none. The proxy's own fields (weft-* policy, weft-client-id) are
/// dropped; `client_id` (when not empty) is added as `weft-client-id`.
void append_request_head(std::string& out, const MessageHead& head, BodyFraming framing,
                         std::string_view host = {}, std::string_view client_id = {});

struct ResponseHeadOptions {
  BodyFraming framing = BodyFraming::content_length;
  /// Adds `connection: close` (the proxy closes the client connection after this response).
  bool close = false;
  /// Adds `connection: keep-alive`: an HTTP/1.0 client that asked to keep the connection.
  bool keep_alive_10 = false;
};

/// Appends `head`, a response, as "HTTP/1.1 <status> <reason>", its end-to-end fields and the
/// fields `options` asks for. A 101 keeps its Upgrade field and gets `connection: upgrade`.
void append_response_head(std::string& out, const MessageHead& head,
                          const ResponseHeadOptions& options);

/// Appends the header of a chunk of `size` bytes ("<hex>\r\n").
void append_chunk_header(std::string& out, std::size_t size);

/// The chunk that ends a chunked body (no trailer fields).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

/// Appends the chunk that ends a chunked body with `trailers` as its trailer section, minus the
/// fields no trailer may carry on the next hop: hop-by-hop, framing (Content-Length), and Host.
void append_last_chunk(std::string& out, std::span<const Header> trailers);

/// The standard reason phrase of `status`, or "Unknown".
std::string_view reason_phrase(unsigned status) noexcept;

}  // namespace weft::http
