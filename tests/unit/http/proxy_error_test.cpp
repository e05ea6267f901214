// The error table (linkerd-compat §8.4) and the HTTP/1 response it writes.
#include "weft/http/proxy_error.hpp"

#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>

#include <boost/asio/error.hpp>
#include <boost/system/errc.hpp>

#include "weft/core/error.hpp"
#include "weft/http/h1_parser.hpp"

namespace weft::http {
namespace {

namespace asio = boost::asio;
using metrics::HttpErrorKind;

// A category the table has no row for.
const boost::system::error_category& other_category() {
  static const struct : boost::system::error_category {
    const char* name() const noexcept override { return "other"; }
    std::string message(int) const override { return "other failure"; }
  } category;
  return category;
}

struct Row {
  boost::system::error_code ec;
  unsigned http;
  int grpc;
  std::string_view label;
  HttpErrorKind kind;
};

TEST(ProxyError, Table) {
  const Row rows[] = {
      // The endpoint cannot be reached: 502 / UNAVAILABLE.
      {asio::error::connection_refused, 502, 14, "connect", HttpErrorKind::connect},
      {asio::error::host_unreachable, 502, 14, "connect", HttpErrorKind::connect},
      {asio::error::network_unreachable, 502, 14, "connect", HttpErrorKind::connect},
      {make_error_code(boost::system::errc::connection_refused), 502, 14, "connect",
       HttpErrorKind::connect},
      {asio::error::host_not_found, 502, 14, "connect", HttpErrorKind::connect},
      // The endpoint failed while the proxy talked to it: 502 / UNAVAILABLE.
      {asio::error::connection_reset, 502, 14, "i/o", HttpErrorKind::io},
      {asio::error::broken_pipe, 502, 14, "i/o", HttpErrorKind::io},
      {asio::error::eof, 502, 14, "i/o", HttpErrorKind::io},
      {errc::endpoint_closed, 502, 14, "i/o", HttpErrorKind::io},
      {errc::bad_response, 502, 14, "i/o", HttpErrorKind::io},
      {errc::stream_reset, 502, 14, "reset", HttpErrorKind::io},
      {errc::h2_protocol_error, 502, 14, "h2(PROTOCOL_ERROR)", HttpErrorKind::io},
      // Timeouts: 504 / DEADLINE_EXCEEDED.
      {errc::connect_timeout, 504, 4, "timeout", HttpErrorKind::timeout},
      {errc::idle_timeout, 504, 4, "timeout", HttpErrorKind::timeout},
      {asio::error::timed_out, 504, 4, "timeout", HttpErrorKind::timeout},
      // Loop, drain, bugs.
      {errc::forwarding_loop, 508, 10, "gateway loop", HttpErrorKind::loop},
      {errc::shutting_down, 503, 14, "shutting down", HttpErrorKind::unavailable},
      {errc::unexpected, 500, 13, "unexpected", HttpErrorKind::unexpected},
      {errc::no_original_dst, 500, 13, "unexpected", HttpErrorKind::unexpected},
      {{}, 500, 13, "unexpected", HttpErrorKind::unexpected},
      {boost::system::error_code(1, other_category()), 500, 13, "unexpected",
       HttpErrorKind::unexpected},
      // Bad requests: their own status, INTERNAL.
      {h1_error::header_too_large, 431, 13, "bad request", HttpErrorKind::bad_request},
      {h1_error::too_many_headers, 431, 13, "bad request", HttpErrorKind::bad_request},
      {h1_error::malformed, 400, 13, "bad request", HttpErrorKind::bad_request},
      {h1_error::smuggling, 400, 13, "bad request", HttpErrorKind::bad_request},
      {h1_error::unsupported_transfer_encoding, 501, 13, "bad request", HttpErrorKind::bad_request},
  };
  for (const auto& r : rows) {
    const ProxyError e = proxy_error(r.ec);
    SCOPED_TRACE(r.ec.to_string() + " " + r.ec.message());
    EXPECT_EQ(e.http_status, r.http);
    EXPECT_EQ(e.grpc_status, r.grpc);
    EXPECT_EQ(e.error_label, r.label);
    EXPECT_EQ(e.kind, r.kind);
    EXPECT_TRUE(e.close_connection);
    EXPECT_FALSE(e.message.empty());
    EXPECT_EQ(e.message.find_first_of("\r\n"), std::string::npos);
  }
}

TEST(ProxyError, SystemErrorsWhileConnectingAreConnectErrors) {
  for (boost::system::error_code ec : {boost::system::error_code(asio::error::connection_reset),
                                       boost::system::error_code(asio::error::broken_pipe)}) {
    const ProxyError e = proxy_error(ec, FailedAt::connect);
    EXPECT_EQ(e.http_status, 502u) << ec.message();
    EXPECT_EQ(e.grpc_status, 14) << ec.message();
    EXPECT_EQ(e.error_label, "connect") << ec.message();
    EXPECT_EQ(e.kind, HttpErrorKind::connect) << ec.message();
    EXPECT_EQ(e.message, fmt::format("connect error: {}", ec.message()));
  }
  // Timeouts stay timeouts, and weft's own rows are unchanged.
  EXPECT_EQ(proxy_error(asio::error::timed_out, FailedAt::connect).http_status, 504u);
  EXPECT_EQ(proxy_error(errc::connect_timeout, FailedAt::connect).http_status, 504u);
  EXPECT_EQ(proxy_error(errc::forwarding_loop, FailedAt::connect).http_status, 508u);
  EXPECT_EQ(proxy_error(errc::unexpected, FailedAt::connect).http_status, 500u);
}

TEST(ProxyError, MessagesNameTheCause) {
  EXPECT_EQ(proxy_error(asio::error::connection_refused).message,
            "connect error: Connection refused");
  EXPECT_EQ(proxy_error(errc::connect_timeout).message, "timeout: connect timed out");
  EXPECT_EQ(proxy_error(h1_error::header_too_large).message,
            "bad request: HTTP/1 message head too large");
  EXPECT_EQ(proxy_error(errc::forwarding_loop).message,
            "gateway loop: original destination is the proxy itself");
}

TEST(ProxyError, H1ResponseIsComplete) {
  std::string out = "prefix|";
  append_h1_error_response(out, proxy_error(asio::error::connection_refused));
  const std::string body = "weft-proxy: connect error: Connection refused\n";
  std::string expected =
      "prefix|"
      "HTTP/1.1 502 Bad Gateway\r\n"
      "content-type: text/plain\r\n"
      "content-length: ";
  expected += std::to_string(body.size());
  expected +=
      "\r\n"
      "weft-proxy-error: connect error: Connection refused\r\n"
      "connection: close\r\n"
      "\r\n";
  expected += body;
  EXPECT_EQ(out, expected);
}

TEST(ProxyError, H1ReasonPhrasesAndKeepAlive) {
  const std::pair<boost::system::error_code, const char*> cases[] = {
      {h1_error::header_too_large, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
      {h1_error::malformed, "HTTP/1.1 400 Bad Request\r\n"},
      {h1_error::unsupported_transfer_encoding, "HTTP/1.1 501 Not Implemented\r\n"},
      {errc::connect_timeout, "HTTP/1.1 504 Gateway Timeout\r\n"},
      {errc::forwarding_loop, "HTTP/1.1 508 Loop Detected\r\n"},
      {errc::shutting_down, "HTTP/1.1 503 Service Unavailable\r\n"},
      {errc::unexpected, "HTTP/1.1 500 Internal Server Error\r\n"},
  };
  for (const auto& [ec, status_line] : cases) {
    std::string out;
    append_h1_error_response(out, proxy_error(ec));
    EXPECT_EQ(out.rfind(status_line, 0), 0u) << out;
  }
  ProxyError e = proxy_error(errc::connect_timeout);
  e.close_connection = false;
  std::string out;
  append_h1_error_response(out, e);
  EXPECT_EQ(out.find("connection:"), std::string::npos) << out;
}

TEST(ProxyError, HeaderValueStaysValid) {
  ProxyError e = proxy_error(errc::unexpected);
  e.message = "line one\r\nx-injected: yes";
  std::string out;
  append_h1_error_response(out, e);
  const auto head_end = out.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(out.substr(0, head_end).find("\r\nx-injected"), std::string::npos) << out;
  EXPECT_EQ(out.find("\r\nx-injected"), std::string::npos) << out;
}

}  // namespace
}  // namespace weft::http
