// The one table from a failure (weft::errc, h1_error or a system error such as ECONNREFUSED) to
// what the client is told and what is counted: HTTP status, gRPC status, the `weft-proxy-error`
// header, the response_total `error` label and the *_http_errors_total kind. Linkerd's table
// (linkerd-compat §8.4): unreachable endpoint 502 / UNAVAILABLE, timeout 504 / DEADLINE_EXCEEDED,
// loop 508 / ABORTED, anything unexpected 500 / INTERNAL. gRPC clients get HTTP 200 with
// grpc-status and grpc-message, because gRPC reads its status from there.
#pragma once

#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "weft/metrics/http.hpp"

namespace weft::http {

struct ProxyError {
  unsigned http_status;
  /// The gRPC status code (14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, 13 INTERNAL, ...).
  int grpc_status;
  /// The `weft-proxy-error` header value and grpc-message: a short cause, e.g.
  /// "connect error: Connection refused".
  std::string message;
  /// response_total's error label (a string literal).
  std::string_view error_label;
  metrics::HttpErrorKind kind;
  /// Whether the client's HTTP/1 connection is closed after this response.
  bool close_connection;
};

/// Where the failure happened, when the caller knows: a system error while connecting (even
/// ECONNRESET or EPIPE) means the endpoint could not be reached, labelled "connect".
enum class FailedAt : unsigned char { exchange, connect };

/// The entry for `ec` (the table is in docs/metrics.md). Total: request errors (h1_error) give
/// 400/431/501, timeouts 504, weft::errc values their row, system errors 502 / UNAVAILABLE
/// ("connect" when unreachable or `at` is connect, else "i/o"), anything else 500 / INTERNAL.
ProxyError proxy_error(const boost::system::error_code& ec, FailedAt at = FailedAt::exchange);

/// The response head (and small text body) for `e` on HTTP/1.1: status line, content-type
/// text/plain, content-length, `weft-proxy-error`, and `connection: close` when
/// e.close_connection. Appended to `out`.
void append_h1_error_response(std::string& out, const ProxyError& e);

}  // namespace weft::http
