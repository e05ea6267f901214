// The golden metrics of `weft stat`: success rate, requests per second, latency percentiles and
// open TCP connections, computed as `linkerd viz stat` computes them from Prometheus
// (linkerd-compat §9.6), but from two scrapes of a proxy's /metrics instead of a range query.
// Pure functions over parsed samples: the command (stat_golden.cpp) scrapes and prints, and the
// unit tests feed crafted exposition text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weft/metrics/labels.hpp"
#include "weft/metrics/text_parser.hpp"

namespace weft::cli {

/// Cumulative counts of response_latency_ms by bucket upper bound in ms (+Inf included), as
/// Prometheus' `sum by (le)` gives them.
using LatencyBuckets = std::map<double, double>;

/// What one proxy (or several, summed) did between two scrapes, for one table row.
struct GoldenWindow {
  double success = 0;  ///< increase of response_total{classification="success"}
  double failure = 0;  ///< increase of response_total{classification="failure"}
  /// (success + failure) per second over the window; negative when there was no window (one
  /// scrape), so that no rate can be given.
  double requests_per_second = -1;
  LatencyBuckets latency;  ///< increase of response_latency_ms_bucket, summed by le
  double tcp_open = 0;     ///< tcp_open_connections at the second scrape (see golden_windows)
  /// The part of success + failure whose series say tls="true" (mesh TLS: inbound from a meshed
  /// client, outbound to a meshed endpoint).
  double tls_responses = 0;
  /// The part of tcp_open whose series say tls="true".
  double tls_tcp_open = 0;

  /// Sums two windows (several proxies of one workload). A rate is known only if both are.
  GoldenWindow& operator+=(const GoldenWindow& other);
};

/// One proxy's rows. Inbound: one row, keyed "". Outbound: one row per authority the proxy sent
/// requests to (target_addr when a request had none), plus one per target that saw only opaque
/// TCP connections.
using GoldenWindows = std::map<std::string, GoldenWindow>;

/// Prometheus' increase() between two scrapes, series by series (same name and label set): a
/// value that went down means the counter was reset, so the whole new value is the increase; a
/// series new in `after` counts whole; a series gone from `after` (expired) counts nothing.
/// Returns `after`'s samples with their values replaced by the increase.
std::vector<metrics::Sample> increase(const std::vector<metrics::Sample>& before,
                                      const std::vector<metrics::Sample>& after);

/// The golden windows of one proxy from two scrapes `seconds` apart. With `before` empty and
/// `seconds` 0 the window is the proxy's whole life (counts and latencies, no rate).
/// Inbound (what a workload served, viz's default for a workload): response_total and
/// response_latency_ms with direction="inbound", and tcp_open_connections with
/// direction="inbound",peer="src" (connections from clients). Outbound (what it sent, viz's
/// `--from`): direction="outbound", grouped by authority; TCP_CONN is peer="dst" summed over the
/// target_addr values of that authority's HTTP series. The tls_* parts count the same series
/// when they say tls="true".
GoldenWindows golden_windows(const std::vector<metrics::Sample>& before,
                             const std::vector<metrics::Sample>& after, double seconds,
                             metrics::Direction direction);

/// Prometheus' histogram_quantile(q, ...) over cumulative buckets: linear interpolation inside
/// the bucket that holds the q-th observation (the first bucket starts at 0); the highest finite
/// bound when that bucket is +Inf. nullopt when there are no observations or no +Inf bucket.
std::optional<double> histogram_quantile(double q, const LatencyBuckets& buckets);

/// The cells SUCCESS, RPS, LATENCY_P50, LATENCY_P95, LATENCY_P99 and TCP_CONN of a row, as viz
/// prints them ("92.31%", "10.2rps", "3ms"); "-" for every cell but TCP_CONN when the window has
/// no responses.
std::vector<std::string> golden_cells(const GoldenWindow& window);

/// The TLS cell of a row: the share of the window's responses that went over mesh TLS
/// (tls="true"), or when there were none, of the open TCP connections; "-" with neither.
/// weft's stand-in for viz's MESHED column, which counts meshed pods: every proxy weft stat
/// scrapes is meshed, so what is worth showing is how much of its traffic is.
std::string tls_cell(const GoldenWindow& window);

/// "100%" only when all is; otherwise rounded down ("99%" for 199 of 200), so that traffic that
/// is not all mTLS never reads as all.
std::string format_tls_share(double ratio);

/// "100.00%" for a success ratio in [0, 1].
std::string format_success(double ratio);
/// "10.2rps".
std::string format_rps(double requests_per_second);
/// Milliseconds: one decimal under 10 ms ("0.5ms", "2.3ms"), whole above ("42ms"). viz prints
/// whole milliseconds only, which shows a local mesh's sub-millisecond answers as "0ms".
std::string format_latency_ms(double ms);

}  // namespace weft::cli
