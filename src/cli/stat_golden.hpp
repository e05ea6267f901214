// `weft stat`: the golden-metrics table of `linkerd viz stat` (NAME, SUCCESS, RPS, LATENCY_P50,
// LATENCY_P95, LATENCY_P99, TCP_CONN, then TLS in place of viz's MESHED), read straight from the
// proxies: each proxy's /metrics is scraped twice, --interval apart, and golden_stats.hpp turns
// the two scrapes into a row.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http_get.hpp"
#include "weft/metrics/labels.hpp"

namespace weft::cli {

/// One row of the table: a name and the proxies whose metrics it sums (a workload's pods).
struct StatTarget {
  std::string name;
  std::vector<AdminAddr> proxies;
};

struct GoldenStatOptions {
  std::vector<StatTarget> targets;
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds timeout{5000};
  metrics::Direction direction = metrics::Direction::inbound;
};

/// Parses the arguments after "stat": [--interval D] [--timeout D] [--outbound]
/// [NAME=]ADDR[,ADDR...]... Returns nullopt (and says why on `err`) on bad arguments.
std::optional<GoldenStatOptions> parse_golden_options(std::span<const std::string_view> args,
                                                      std::ostream& err);

/// Runs `weft stat ARGS...`. Returns the exit code: 0, 1 when a proxy cannot be scraped, 64 on bad
/// arguments (after printing the usage to `err`).
int run_stat_golden(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

void print_golden_usage(std::ostream& out);

}  // namespace weft::cli
