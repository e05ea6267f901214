// The golden HTTP metrics, Linkerd's legacy families: request_total, response_total and
// response_latency_ms (time to first byte, Linkerd's bucket bounds, in ms), labelled direction,
// authority (outbound only), target_addr/target_ip/target_port, the TLS labels and the endpoint's
// dst_* labels (outbound, when discovery knows the endpoint); plus
// {inbound,outbound}_http_errors_total{error} for responses the proxy synthesized.
// A connection looks up its route series once (HttpRoute, under the shard mutex) and then counts
// each request through it with no lock and no allocation; only a response label set never seen
// before on that route allocates. Series that nothing references and that have not changed for
// WEFT_PROXY_METRICS_RETAIN_IDLE are dropped at scrape time.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "weft/metrics/labels.hpp"

namespace weft::metrics {

/// Upper bounds of response_latency_ms's buckets in ms (Linkerd's); +Inf is implied.
inline constexpr std::array<std::uint32_t, 25> kLatencyBucketsMs = {
    1,   2,   3,    4,    5,    10,   20,   30,    40,    50,    100,   200,  300,
    400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000};

/// Who a request is for, as the route labels say.
struct HttpTarget {
  Direction direction;
  /// The request's :authority or Host, as sent. Rendered for outbound only (as Linkerd does,
  /// to bound cardinality); ignored for inbound.
  std::string_view authority;
  boost::asio::ip::tcp::endpoint target;
  /// The TLS label of the connection the series is labelled by (labels.hpp): inbound, the
  /// client's (client_id); outbound, the endpoint's (server_id). Copied when a series is created.
  TlsRef tls;
  /// The endpoint's labels, pre-rendered (discovery::Endpoint::metric_labels:
  /// `dst_namespace="emojivoto",dst_pod="web-5f86"`), written after the tls labels; "" for none.
  /// Part of the series key; copied when a series is created.
  std::string_view dst_labels{};
};

enum class Classification : std::uint8_t { success, failure };

/// "success" / "failure".
std::string_view to_string(Classification c) noexcept;

/// How one response ended, as response_total labels it.
struct ResponseOutcome {
  /// The HTTP status the client saw; 0 when there was no response head (rendered without
  /// status_code, as Linkerd does for stream errors).
  unsigned status_code = 0;
  /// The gRPC status, or -1 for none (rendered grpc_status=""). Values above 16 are counted as
  /// 2 (UNKNOWN), which bounds the label space an endpoint can create.
  int grpc_status = -1;
  Classification classification = Classification::success;
  /// "" or an error label from http::proxy_error (e.g. "connect", "h2(PROTOCOL_ERROR)"; the list
  /// is in docs/metrics.md). Must point to storage that outlives the registry (a string literal).
  std::string_view error;
};

namespace detail {
struct HttpRouteSeries;
}

/// A connection's handle on one route series (direction, authority, target, tls). Keeps the
/// series alive against expiry while it exists. Used only on the worker that owns the shard.
/// Move-only; an empty handle ignores every call.
class HttpRoute {
 public:
  HttpRoute() = default;
  HttpRoute(HttpRoute&& other) noexcept;
  HttpRoute& operator=(HttpRoute&& other) noexcept;
  HttpRoute(const HttpRoute&) = delete;
  HttpRoute& operator=(const HttpRoute&) = delete;
  ~HttpRoute();

  /// Whether this handle is for `target` (same authority, or any authority inbound; same
  /// target, tls and dst labels): lets a connection reuse its handle across requests without a
  /// lookup.
  bool matches(const HttpTarget& target) const noexcept;
  explicit operator bool() const noexcept { return series_ != nullptr; }

  /// request_total +1, when a request's head has been read. No lock, no allocation.
  void count_request() noexcept;
  /// response_latency_ms{status_code} observes `ttfb`: from the request head to the first
  /// response body byte, or to the end of a response with no body. Once per request.
  void observe_latency(unsigned status_code, std::chrono::nanoseconds ttfb) noexcept;
  /// response_total{status_code, classification, grpc_status, error} +1, when the response
  /// stream ends (or fails). Allocates only for a label set this route has not seen.
  void count_response(const ResponseOutcome& outcome) noexcept;

 private:
  friend class HttpMetrics;
  explicit HttpRoute(detail::HttpRouteSeries* series) noexcept : series_(series) {}
  detail::HttpRouteSeries* series_ = nullptr;
};

/// The error label of {inbound,outbound}_http_errors_total (Linkerd's values where they exist).
enum class HttpErrorKind : std::uint8_t {
  connect,      ///< "connect": the endpoint could not be reached (502)
  timeout,      ///< "timeout": connect or response timeout (504)
  io,           ///< "i/o": the endpoint failed mid-response
  bad_request,  ///< "bad request": malformed or oversized client request (400/431/501)
  loop,         ///< "gateway loop" (508)
  unavailable,  ///< "unavailable": the proxy is shutting down and refuses new requests (503)
  unexpected,   ///< "unexpected" (500)
  failfast,     ///< "failfast": no endpoint became ready in time (504)
  loadshed,     ///< "loadshed": the balancer's queue was full (503)
  tls,          ///< "tls": the mTLS handshake with a meshed endpoint failed (502)
};
inline constexpr std::size_t kHttpErrorKinds = 10;
std::string_view to_string(HttpErrorKind k) noexcept;

/// One shard's HTTP metrics. open_route and count_error run on the owning worker;
/// Registry::render reads and expires on the admin thread. Outlives every HttpRoute it handed out
/// (the Registry is destroyed after the workers).
class HttpMetrics {
 public:
  HttpMetrics();
  ~HttpMetrics();
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  /// The route series for `target`, created on first use. Takes the shard's HTTP mutex
  /// (uncontended except during a scrape); allocates only for a new label set.
  HttpRoute open_route(const HttpTarget& target);

  /// {direction}_http_errors_total{error=kind} +1. No lock, no allocation.
  void count_error(Direction direction, HttpErrorKind kind) noexcept;

  // The storage, shared with Registry::render_http (src/metrics/http_series.hpp).
  struct State;
  State& state() noexcept { return *state_; }
  const State& state() const noexcept { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

}  // namespace weft::metrics
