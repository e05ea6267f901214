// `weft stat tcp`: scrapes one or more proxies' admin /metrics twice and prints, per proxy, their
// TCP transport counters by direction, peer and target, with byte rates over the interval
// (the TCP columns of `linkerd viz stat -o wide`, read straight from the proxies).
#pragma once

#include <compare>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/metrics/text_parser.hpp"

namespace weft::cli {

/// One table row: the tcp_* series of a proxy summed over every label but these three.
struct TcpKey {
  std::string direction;
  std::string target;
  std::string peer;
  /// inbound before outbound, then by target, then src (accepted) before dst (opened).
  bool operator<(const TcpKey& other) const;
};

struct TcpCounts {
  double opened = 0;  ///< tcp_open_total
  double open = 0;    ///< tcp_open_connections
  double closed = 0;  ///< tcp_close_total, all errno values
  double errors = 0;  ///< tcp_close_total with a non-empty errno
  double read_bytes = 0;
  double write_bytes = 0;
};

using TcpStats = std::map<TcpKey, TcpCounts>;

/// Sums the tcp_* families of a scrape by direction, peer and target (target_addr, else
/// target_ip:target_port, else "-").
TcpStats collect_tcp(const std::vector<metrics::Sample>& samples);

/// Runs `weft stat tcp ARGS...` (the arguments after "tcp"). Returns the exit code: 0, 1 when a
/// proxy cannot be scraped, 64 on bad arguments (after printing the usage to `err`).
int run_stat_tcp(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

void print_stat_usage(std::ostream& out);

}  // namespace weft::cli
