// TEMPORARY (branch l7-h2 only): minimal definitions of the golden-metrics, classification and
// proxy-error interfaces so that this branch links and its tests run before branch l7-metrics
// lands on main. Delete this file when merging main with l7-metrics in it.
#include <cerrno>

#include "weft/core/error.hpp"
#include "weft/http/classify.hpp"
#include "weft/http/proxy_error.hpp"
#include "weft/metrics/http.hpp"

namespace weft::metrics {
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
HttpRoute HttpMetrics::open_route(const HttpTarget&) { return {}; }
void HttpMetrics::count_error(Direction, HttpErrorKind) noexcept {}
}  // namespace weft::metrics

namespace weft::http {
bool is_grpc_content_type(std::string_view ct) noexcept {
  return ct.substr(0, 16) == "application/grpc";
}
std::optional<int> parse_grpc_status(std::string_view v) noexcept {
  if (v.empty()) return std::nullopt;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}
bool is_grpc_failure(int s) noexcept {
  return s == 15 || s == 4 || s == 13 || s == 7 || s == 14 || s == 2;
}
metrics::Classification classify(unsigned http_status, bool grpc, int grpc_status,
                                  bool stream_error) noexcept {
  if (stream_error || http_status >= 500) return metrics::Classification::failure;
  if (grpc && (grpc_status < 0 || is_grpc_failure(grpc_status))) {
    return metrics::Classification::failure;
  }
  return metrics::Classification::success;
}
ProxyError proxy_error(const boost::system::error_code& ec) {
  if (ec == make_error_code(errc::connect_timeout)) {
    return {504, 4, "connect timeout", "connect_timeout", metrics::HttpErrorKind::timeout, false};
  }
  return {502, 14, "connect error: " + ec.message(), "connect_error",
          metrics::HttpErrorKind::connect, false};
}
}  // namespace weft::http
