// The worker side of the golden HTTP metrics: route lookup and the per-request counting through
// HttpRoute. Rendering and expiry are in http_render.cpp.
#include "weft/metrics/http.hpp"

#include <new>
#include <utility>

#include "http_series.hpp"

namespace weft::metrics {
namespace detail {

namespace {

// Upper bounds in ns, so that observing compares integers with no conversion.
constexpr auto kBoundsNs = [] {
  std::array<std::uint64_t, kLatencyBucketsMs.size()> ns{};
  for (std::size_t i = 0; i < ns.size(); ++i)
    ns[i] = std::uint64_t{kLatencyBucketsMs[i]} * 1'000'000;
  return ns;
}();

std::size_t bucket_of(std::uint64_t ns) noexcept {
  std::size_t i = 0;
  while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
  return i;
}

bool same(const ResponseOutcome& a, const ResponseOutcome& b) noexcept {
  return a.status_code == b.status_code && a.grpc_status == b.grpc_status &&
         a.classification == b.classification && a.error == b.error;
}

// Publishes `node` at the head of a list that only this thread appends to.
template <class T>
void publish(std::atomic<T*>& head, T* node) noexcept {
  node->next = head.load(std::memory_order_relaxed);
  head.store(node, std::memory_order_release);
}

template <class T>
void free_nodes(std::atomic<T*>& head) noexcept {
  for (T* n = head.exchange(nullptr, std::memory_order_acquire); n != nullptr;) {
    delete std::exchange(n, n->next);
  }
}

}  // namespace

void free_list(std::atomic<LatencySeries*>& head) noexcept { free_nodes(head); }
void free_list(std::atomic<ResponseSeries*>& head) noexcept { free_nodes(head); }

void observe_latency(std::atomic<LatencySeries*>& head, unsigned status_code,
                     std::chrono::nanoseconds ttfb) noexcept {
  LatencySeries* h = head.load(std::memory_order_relaxed);
  while (h != nullptr && h->status_code != status_code) h = h->next;
  if (h == nullptr) {
    h = new (std::nothrow) LatencySeries(status_code);
    if (h == nullptr) return;  // out of memory: drop this one observation
    publish(head, h);
  }
  const auto ns = static_cast<std::uint64_t>(ttfb.count() > 0 ? ttfb.count() : 0);
  bump(h->buckets[bucket_of(ns)], 1);
  bump(h->sum_ns, ns);
}

void count_response(std::atomic<ResponseSeries*>& head, const ResponseOutcome& given) noexcept {
  ResponseOutcome outcome = given;
  // The endpoint chooses grpc-status: a code outside 0..16 is counted as 2 (UNKNOWN), as gRPC
  // clients read it, so that it cannot grow the label space without bound.
  if (outcome.grpc_status > 16 || outcome.grpc_status < -1) outcome.grpc_status = 2;
  ResponseSeries* r = head.load(std::memory_order_relaxed);
  while (r != nullptr && !same(r->outcome, outcome)) r = r->next;
  if (r == nullptr) {
    r = new (std::nothrow) ResponseSeries(outcome);
    if (r == nullptr) return;  // out of memory: drop this one count
    publish(head, r);
  }
  bump(r->count, 1);
}

HttpRouteSeries::~HttpRouteSeries() {
  free_list(latency);
  free_list(responses);
}

}  // namespace detail

std::string_view to_string(Classification c) noexcept {
  return c == Classification::success ? "success" : "failure";
}

std::string_view to_string(HttpErrorKind k) noexcept {
  switch (k) {
    case HttpErrorKind::connect: return "connect";
    case HttpErrorKind::tls: return "tls";
    case HttpErrorKind::timeout: return "timeout";
    case HttpErrorKind::io: return "i/o";
    case HttpErrorKind::bad_request: return "bad request";
    case HttpErrorKind::loop: return "gateway loop";
    case HttpErrorKind::unavailable: return "unavailable";
    case HttpErrorKind::unexpected: return "unexpected";
    case HttpErrorKind::failfast: return "failfast";
    case HttpErrorKind::loadshed: return "loadshed";
  }
  return "unexpected";
}

HttpRoute::HttpRoute(HttpRoute&& other) noexcept : series_(std::exchange(other.series_, nullptr)) {}

HttpRoute& HttpRoute::operator=(HttpRoute&& other) noexcept {
  if (this != &other) {
    HttpRoute old(std::move(*this));
    series_ = std::exchange(other.series_, nullptr);
  }
  return *this;
}

HttpRoute::~HttpRoute() {
  if (series_ == nullptr) return;
  // Release: the counts this handle made happen before an admin thread's acquire load of 0.
  series_->refs.store(series_->refs.load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

bool HttpRoute::matches(const HttpTarget& target) const noexcept {
  if (series_ == nullptr) return false;
  const auto& k = series_->key;
  return k.direction == target.direction && k.target == target.target &&
         k.tls.ref() == target.tls && k.dst_labels == target.dst_labels &&
         (target.direction == Direction::inbound || k.authority == target.authority);
}

void HttpRoute::count_request() noexcept {
  if (series_ != nullptr) detail::bump(series_->requests, 1);
}

void HttpRoute::observe_latency(unsigned status_code, std::chrono::nanoseconds ttfb) noexcept {
  if (series_ != nullptr) detail::observe_latency(series_->latency, status_code, ttfb);
}

void HttpRoute::count_response(const ResponseOutcome& outcome) noexcept {
  if (series_ != nullptr) detail::count_response(series_->responses, outcome);
}

HttpMetrics::HttpMetrics() : state_(std::make_unique<State>()) {}

HttpMetrics::~HttpMetrics() = default;

HttpRoute HttpMetrics::open_route(const HttpTarget& target) {
  std::lock_guard lock(state_->mu);
  auto it = state_->routes.find(target);
  if (it == state_->routes.end()) {
    detail::HttpRouteKey key{
        target.direction,
        std::string(target.direction == Direction::outbound ? target.authority : ""), target.target,
        TlsLabels::from(target.tls), std::string(target.dst_labels)};
    auto series = std::make_unique<detail::HttpRouteSeries>(std::move(key));
    it = state_->routes.emplace(series->key, std::move(series)).first;
  }
  detail::HttpRouteSeries* series = it->second.get();
  // Under the mutex: expiry, which holds it too, never frees a series that is being handed out.
  detail::bump(series->refs, 1);
  return HttpRoute(series);
}

void HttpMetrics::count_error(Direction direction, HttpErrorKind kind) noexcept {
  const auto d = direction == Direction::inbound ? 0 : 1;
  const auto k = static_cast<std::size_t>(kind);
  if (k < kHttpErrorKinds) detail::bump(state_->errors[d][k], 1);
}

}  // namespace weft::metrics
