// `weft stat tcp`: scrapes one or more proxies' admin /metrics twice and prints, per proxy, their
// TCP transport counters by direction, peer, target and peer identity (mesh TLS), with byte
// rates over the interval (the TCP columns of `linkerd viz stat -o wide` and the identities of
// `linkerd viz edges`, read straight from the proxies).
#pragma once

#include <compare>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table.hpp"
#include "weft/metrics/text_parser.hpp"

namespace weft::cli {

/// One table row: the tcp_* series of a proxy summed over every label but these.
struct TcpKey {
  std::string direction;
  std::string target;
  std::string peer;
  std::string tls;       ///< the `tls` label: "true", "no_identity", "opaque"; "-" when absent
  std::string identity;  ///< client_id (peer="src") or server_id (peer="dst"); "" when none
  /// inbound before outbound, then by target, then src (accepted) before dst (opened), then by
  /// TLS and identity.
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

/// Sums the tcp_* families of a scrape by direction, peer, target (target_addr, else
/// target_ip:target_port, else "-"), TLS and peer identity: connections from (or to) different
/// workloads get rows of their own.
TcpStats collect_tcp(const std::vector<metrics::Sample>& samples);

/// The table's header: DIRECTION, PEER, TARGET, TLS, IDENTITY, then the counts and rates.
TableRow tcp_header();
/// The table's rows for `last`, with rates over `seconds` since `first` (nullptr: one scrape, no
/// rates). IDENTITY is "-" when the series carry none (not mesh TLS, or a client without a
/// certificate).
std::vector<TableRow> tcp_rows(const TcpStats* first, const TcpStats& last, double seconds);

/// Runs `weft stat tcp ARGS...` (the arguments after "tcp"). Returns the exit code: 0, 1 when a
/// proxy cannot be scraped, 64 on bad arguments (after printing the usage to `err`).
int run_stat_tcp(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

void print_stat_usage(std::ostream& out);

}  // namespace weft::cli
