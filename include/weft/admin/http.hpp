// The small HTTP/1.1 subset the admin server speaks: parsing a bounded request head and
// serializing a response head. Pure functions over bytes, so unit tests need no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::admin {

/// Request heads larger than this get 431 and the connection is closed.
inline constexpr std::size_t kMaxRequestHead = 8 * 1024;

/// A parsed request head. The views point into the buffer that was parsed.
struct Request {
  std::string_view method;
  std::string_view path;   // origin-form target without the query ("/metrics")
  std::string_view query;  // after '?', without it
  int version_minor = 1;   // HTTP/1.<minor>
  bool keep_alive = true;  // from the version and the Connection header
  std::optional<std::uint64_t> content_length;
  bool chunked = false;       // Transfer-Encoding present: the body length is not known here
  std::size_t head_size = 0;  // bytes up to and including the empty line
};

enum class ParseStatus {
  complete,   // a whole head was parsed
  need_more,  // no empty line yet and still under the limit
  too_large,  // no empty line within the limit: answer 431
  malformed,  // not HTTP/1.x: answer 400
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  Request request;
};

/// Parses the request head at the start of `data`. Lines end in CRLF (a bare LF is accepted).
/// `max_head` bounds the head, empty line included.
ParseResult parse_request_head(std::string_view data, std::size_t max_head = kMaxRequestHead);

/// What a handler answers. The server adds Content-Length, Connection and Date-less framing.
struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // the Allow header of a 405
};

/// The reason phrase of the statuses the admin server uses ("OK", "Not Found", ...).
std::string_view reason_phrase(int status) noexcept;

/// The Connection header a response carries.
enum class ConnectionHeader {
  none,        // HTTP/1.1 keep-alive: the default, no header
  close,       // the server closes after this response
  keep_alive,  // an HTTP/1.0 client asked for keep-alive
};

/// The status line and headers of `r` with Content-Length = r.body.size(), ending in the empty
/// line.
std::string serialize_head(const Response& r, ConnectionHeader connection);

}  // namespace weft::admin
