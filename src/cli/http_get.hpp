// A small synchronous HTTP/1.1 GET for the CLI: scrapes a proxy's admin server (/metrics).
// One request per connection ("Connection: close"), a deadline over the whole exchange, and
// plain-text or chunked bodies. Not for the data path: it blocks the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/core/result.hpp"

namespace weft::cli {

/// Where to scrape: "host:port", "[v6]:port" or "host" (port 4191), optionally "http://"-prefixed.
struct AdminAddr {
  std::string host;
  std::uint16_t port = 4191;
  std::string to_string() const;
};

/// Errors: boost::system::errc::invalid_argument.
result<AdminAddr> parse_admin_addr(std::string_view text);

struct HttpResponse {
  int status = 0;
  std::string body;
};

/// GET http://addr<path>. Blocks for at most `timeout` in total (resolve, connect, write, read).
/// Errors: the socket's error (connection_refused, host_not_found, ...), errc::timed_out, or
/// errc::bad_message for a response that is not HTTP/1.x.
result<HttpResponse> http_get(const AdminAddr& addr, std::string_view path,
                              std::chrono::milliseconds timeout);

/// Splits a raw "HTTP/1.x ..." response into status and body (Content-Length, chunked or to EOF).
/// Errors: errc::bad_message.
result<HttpResponse> parse_http_response(std::string_view raw);

}  // namespace weft::cli
