// The error table. Rows are tried in order: request errors (h1_error), then timeouts, then the
// weft::errc rows, then system errors (all 502: the endpoint could not be reached or failed),
// and anything else is unexpected (500). The error labels are listed in docs/metrics.md.
#include "weft/http/proxy_error.hpp"

#include <spdlog/fmt/fmt.h>

#include <boost/asio/error.hpp>
#include <boost/system/errc.hpp>

#include "weft/core/error.hpp"
#include "weft/http/h1_parser.hpp"

namespace weft::http {
namespace {

using metrics::HttpErrorKind;
namespace sys_errc = boost::system::errc;

// gRPC status codes used here.
constexpr int kGrpcDeadlineExceeded = 4;
constexpr int kGrpcAborted = 10;
constexpr int kGrpcInternal = 13;
constexpr int kGrpcUnavailable = 14;

// A header value must not carry CR, LF or other controls (RFC 9110 §5.5); strerror text is
// ASCII in the C locale, but the message is the proxy's to keep safe.
std::string header_safe(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u >= 0x7f) c = ' ';
  }
  return s;
}

ProxyError row(unsigned status, int grpc, std::string message, std::string_view label,
               HttpErrorKind kind) {
  // Linkerd closes the client's connection after every synthesized error in this table (the
  // ones that keep it open, 403/404/429, are policy answers weft does not give yet).
  return ProxyError{status, grpc, header_safe(std::move(message)), label, kind, true};
}

bool is_system(const boost::system::error_category& c) noexcept {
  return c == boost::system::system_category() || c == boost::system::generic_category();
}

bool is_timeout(const boost::system::error_code& ec) noexcept {
  return ec == errc::connect_timeout || ec == errc::idle_timeout || ec == errc::detect_timeout ||
         (is_system(ec.category()) && ec == sys_errc::timed_out);
}

// The endpoint's address could not be reached at all.
bool is_unreachable(const boost::system::error_code& ec) noexcept {
  if (ec.category() == boost::asio::error::get_netdb_category() ||
      ec.category() == boost::asio::error::get_addrinfo_category()) {
    return true;
  }
  if (!is_system(ec.category())) return false;
  return ec == sys_errc::connection_refused || ec == sys_errc::host_unreachable ||
         ec == sys_errc::network_unreachable || ec == sys_errc::network_down ||
         ec == sys_errc::address_not_available;
}

std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 400: return "Bad Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 508: return "Loop Detected";
    default: return status >= 500 ? "Server Error" : "Client Error";
  }
}

}  // namespace

ProxyError proxy_error(const boost::system::error_code& ec, FailedAt at) {
  if (ec.category() == h1_category()) {
    return row(status_for(static_cast<h1_error>(ec.value())), kGrpcInternal,
               fmt::format("bad request: {}", ec.message()), "bad request",
               HttpErrorKind::bad_request);
  }
  if (is_timeout(ec)) {
    return row(504, kGrpcDeadlineExceeded, fmt::format("timeout: {}", ec.message()), "timeout",
               HttpErrorKind::timeout);
  }
  if (ec.category() == weft_category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::failfast:
        return row(504, kGrpcDeadlineExceeded, ec.message(), "failfast", HttpErrorKind::failfast);
      case errc::loadshed:
        return row(503, kGrpcUnavailable, ec.message(), "loadshed", HttpErrorKind::loadshed);
      case errc::request_timeout:
        return row(504, kGrpcDeadlineExceeded, ec.message(), "timeout", HttpErrorKind::timeout);
      case errc::response_timeout: {
        // Linkerd's response timeout keeps the client's connection: only this request failed.
        auto e = row(504, kGrpcDeadlineExceeded, ec.message(), "timeout", HttpErrorKind::timeout);
        e.close_connection = false;
        return e;
      }
      case errc::forwarding_loop:
        return row(508, kGrpcAborted, fmt::format("gateway loop: {}", ec.message()), "gateway loop",
                   HttpErrorKind::loop);
      case errc::shutting_down:
        return row(503, kGrpcUnavailable, ec.message(), "shutting down",
                   HttpErrorKind::unavailable);
      case errc::endpoint_closed:
      case errc::bad_response:
        return row(502, kGrpcUnavailable, fmt::format("endpoint error: {}", ec.message()), "i/o",
                   HttpErrorKind::io);
      case errc::stream_reset:
        return row(502, kGrpcUnavailable, fmt::format("endpoint error: {}", ec.message()), "reset",
                   HttpErrorKind::io);
      case errc::tls_handshake:
      case errc::tls_unknown_ca:
      case errc::tls_cert_expired:
      case errc::tls_identity_mismatch:
      case errc::identity_not_ready:
        // The endpoint is meshed and could not be verified (or we have no identity to show it):
        // nothing was sent to it.
        return row(502, kGrpcUnavailable, fmt::format("TLS error: {}", ec.message()), "tls",
                   HttpErrorKind::tls);
      case errc::h2_protocol_error:
        return row(502, kGrpcUnavailable, fmt::format("endpoint error: {}", ec.message()),
                   "h2(PROTOCOL_ERROR)", HttpErrorKind::io);
      default: break;  // unexpected, and values with no row of their own
    }
  } else if (is_unreachable(ec) || (at == FailedAt::connect && ec && is_system(ec.category()))) {
    return row(502, kGrpcUnavailable, fmt::format("connect error: {}", ec.message()), "connect",
               HttpErrorKind::connect);
  } else if (ec && (is_system(ec.category()) ||
                    ec.category() == boost::asio::error::get_misc_category())) {
    // ECONNRESET, EPIPE, end of stream, ...: the endpoint failed while the proxy talked to it.
    return row(502, kGrpcUnavailable, fmt::format("i/o error: {}", ec.message()), "i/o",
               HttpErrorKind::io);
  }
  return row(500, kGrpcInternal,
             ec ? fmt::format("unexpected error: {}", ec.message()) : "unexpected error",
             "unexpected", HttpErrorKind::unexpected);
}

void append_h1_error_response(std::string& out, const ProxyError& e) {
  const std::string message = header_safe(e.message);
  const std::string body = fmt::format("weft-proxy: {}\n", message);
  fmt::format_to(std::back_inserter(out),
                 "HTTP/1.1 {} {}\r\n"
                 "content-type: text/plain\r\n"
                 "content-length: {}\r\n"
                 "weft-proxy-error: {}\r\n"
                 "{}"
                 "\r\n",
                 e.http_status, reason_phrase(e.http_status), body.size(), message,
                 e.close_connection ? "connection: close\r\n" : "");
  out += body;
}

}  // namespace weft::http
