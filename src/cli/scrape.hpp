// One scrape of a proxy's admin /metrics for the CLI's `stat` commands: fetch, check, parse.
// Failures are reported as one line on the given stream, naming the URL and the reason.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <vector>

#include "http_get.hpp"
#include "weft/metrics/text_parser.hpp"

namespace weft::cli {

using StatClock = std::chrono::steady_clock;

/// The samples of one scrape and when it was taken (just before the request was sent).
struct ScrapedSamples {
  std::vector<metrics::Sample> samples;
  StatClock::time_point at;
};

/// GET http://addr/metrics and parse it. On failure (unreachable, non-200, not Prometheus text)
/// writes "weft: cannot scrape http://ADDR/metrics: REASON" to `err` and returns nullopt.
std::optional<ScrapedSamples> scrape_metrics(const AdminAddr& addr,
                                             std::chrono::milliseconds timeout,
                                             std::ostream& err);

}  // namespace weft::cli
