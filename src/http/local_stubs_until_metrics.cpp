// LOCAL STUB, to be deleted when the l7-metrics branch (proxy_error, classify, HttpMetrics) lands
// on main: the smallest implementation that lets the HTTP/1 proxy build and answer correctly.
// Counts nothing.
#include <spdlog/fmt/fmt.h>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/h1_parser.hpp"
#include "weft/http/proxy_error.hpp"
#include "weft/metrics/http.hpp"

namespace weft {
namespace metrics {
HttpRoute::HttpRoute(HttpRoute&& other) noexcept : series_(other.series_) {
  other.series_ = nullptr;
}
HttpRoute& HttpRoute::operator=(HttpRoute&& other) noexcept {
  series_ = other.series_;
  other.series_ = nullptr;
  return *this;
}
HttpRoute::~HttpRoute() = default;
bool HttpRoute::matches(const HttpTarget&) const noexcept { return false; }
void HttpRoute::count_request() noexcept {}
void HttpRoute::observe_latency(unsigned, std::chrono::nanoseconds) noexcept {}
void HttpRoute::count_response(const ResponseOutcome&) noexcept {}
HttpMetrics::HttpMetrics() : state_(nullptr) {}
HttpMetrics::~HttpMetrics() = default;
HttpRoute HttpMetrics::open_route(const HttpTarget&) { return {}; }
void HttpMetrics::count_error(Direction, HttpErrorKind) noexcept {}
}  // namespace metrics

namespace http {
ProxyError proxy_error(const boost::system::error_code& ec) {
  if (ec.category() == h1_category()) {
    const auto status = status_for(static_cast<h1_error>(ec.value()));
    return {status, 13, ec.message(), "bad_request", metrics::HttpErrorKind::bad_request, true};
  }
  if (ec == errc::connect_timeout) {
    return {504, 4, fmt::format("connect timed out"), "connect_timeout",
            metrics::HttpErrorKind::timeout, false};
  }
  return {502, 14, fmt::format("connect error: {}", ec.message()), "connect_error",
          metrics::HttpErrorKind::connect, false};
}

void append_h1_error_response(std::string& out, const ProxyError& e) {
  const std::string body = e.message + "\n";
  out += fmt::format(
      "HTTP/1.1 {} Error\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n"
      "weft-proxy-error: {}\r\n{}\r\n{}",
      e.http_status, body.size(), e.message, e.close_connection ? "connection: close\r\n" : "",
      body);
}

metrics::Classification classify(unsigned http_status, bool, int, bool stream_error) noexcept {
  return (stream_error || http_status >= 500) ? metrics::Classification::failure
                                              : metrics::Classification::success;
}
}  // namespace http
}  // namespace weft
