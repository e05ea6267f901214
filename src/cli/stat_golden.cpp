#include "stat_golden.hpp"

#include <thread>

#include "golden_stats.hpp"
#include "scrape.hpp"
#include "table.hpp"
#include "weft/core/parse.hpp"

namespace weft::cli {
namespace {

/// Reads a duration flag's value ("--interval 5s" or "--interval=5s"). Advances `i` past it.
std::optional<std::chrono::milliseconds> duration_flag(std::span<const std::string_view> args,
                                                       std::size_t& i, bool allow_zero,
                                                       std::ostream& err) {
  const auto arg = args[i];
  std::string_view value;
  if (const auto eq = arg.find('='); eq != std::string_view::npos) {
    value = arg.substr(eq + 1);
  } else if (i + 1 < args.size()) {
    value = args[++i];
  } else {
    err << "weft stat: " << arg << " needs a value\n";
    return std::nullopt;
  }
  const auto d = core::parse_duration(value);
  if (!d || (!allow_zero && d->count() == 0)) {
    err << "weft stat: invalid duration '" << value << "' (use e.g. 500ms, 5s, 1m)\n";
    return std::nullopt;
  }
  return *d;
}

/// "[NAME=]ADDR[,ADDR...]": without a name, the row is named after the addresses as written.
std::optional<StatTarget> parse_target(std::string_view arg, std::ostream& err) {
  StatTarget target;
  std::string_view addrs = arg;
  if (const auto eq = arg.find('='); eq != std::string_view::npos) {
    target.name = std::string(arg.substr(0, eq));
    addrs = arg.substr(eq + 1);
    if (target.name.empty()) {
      err << "weft stat: empty name in '" << arg << "' (want NAME=ADDR)\n";
      return std::nullopt;
    }
  } else {
    target.name = std::string(arg);
  }
  while (!addrs.empty()) {
    const auto comma = addrs.find(',');
    const auto item = addrs.substr(0, comma);
    addrs.remove_prefix(comma == std::string_view::npos ? addrs.size() : comma + 1);
    const auto addr = parse_admin_addr(item);
    if (!addr) {
      err << "weft stat: invalid admin address '" << item
          << "' (want HOST:PORT, e.g. 10.77.0.2:4191)\n";
      return std::nullopt;
    }
    target.proxies.push_back(*addr);
  }
  if (target.proxies.empty()) {
    err << "weft stat: no admin address in '" << arg << "'\n";
    return std::nullopt;
  }
  return target;
}

using Round = std::vector<ScrapedSamples>;  // one scrape per proxy, targets' proxies in order

std::optional<Round> scrape_round(const GoldenStatOptions& options, std::ostream& err) {
  Round round;
  bool ok = true;
  for (const auto& target : options.targets) {
    for (const auto& addr : target.proxies) {
      auto s = scrape_metrics(addr, options.timeout, err);
      ok = ok && s.has_value();
      round.push_back(s ? std::move(*s) : ScrapedSamples{});
    }
  }
  if (!ok) return std::nullopt;
  return round;
}

/// The table: one row per target (inbound), or per target and authority (outbound).
void print_golden_table(std::ostream& out, const GoldenStatOptions& options, const Round* first,
                        const Round& last) {
  const bool outbound = options.direction == metrics::Direction::outbound;
  std::vector<TableRow> rows;
  std::size_t proxy = 0;
  for (const auto& target : options.targets) {
    GoldenWindows merged;
    for (std::size_t i = 0; i < target.proxies.size(); ++i, ++proxy) {
      static const std::vector<metrics::Sample> kNone;
      const auto& before = first ? (*first)[proxy].samples : kNone;
      const double seconds =
          first ? std::chrono::duration<double>(last[proxy].at - (*first)[proxy].at).count() : 0;
      auto windows = golden_windows(before, last[proxy].samples, seconds, options.direction);
      for (auto& [key, window] : windows) {
        auto [it, inserted] = merged.try_emplace(key, window);
        if (!inserted) it->second += window;
      }
    }
    if (outbound && merged.empty())
      rows.push_back({target.name, "-", "-", "-", "-", "-", "-", "0", "-"});
    for (const auto& [key, window] : merged) {
      TableRow row{target.name};
      if (outbound) row.push_back(key);
      for (auto& cell : golden_cells(window)) row.push_back(std::move(cell));
      // Last, not second where viz has MESHED: scripts read the columns before it by position.
      row.push_back(tls_cell(window));
      rows.push_back(std::move(row));
    }
  }
  TableRow header{"NAME"};
  if (outbound) header.push_back("TO");
  for (const char* column :
       {"SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TCP_CONN", "TLS"})
    header.push_back(column);
  print_table(out, header, rows);
}

}  // namespace

std::optional<GoldenStatOptions> parse_golden_options(std::span<const std::string_view> args,
                                                      std::ostream& err) {
  GoldenStatOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto arg = args[i];
    const bool is_interval = arg == "--interval" || arg.starts_with("--interval=");
    const bool is_timeout = arg == "--timeout" || arg.starts_with("--timeout=");
    if (is_interval || is_timeout) {
      const auto d = duration_flag(args, i, is_interval, err);
      if (!d) return std::nullopt;
      (is_interval ? options.interval : options.timeout) = *d;
    } else if (arg == "--outbound") {
      options.direction = metrics::Direction::outbound;
    } else if (arg == "--inbound") {
      options.direction = metrics::Direction::inbound;
    } else if (arg.starts_with("-")) {
      err << "weft stat: unknown flag " << arg << "\n";
      return std::nullopt;
    } else {
      auto target = parse_target(arg, err);
      if (!target) return std::nullopt;
      options.targets.push_back(std::move(*target));
    }
  }
  if (options.targets.empty()) {
    err << "weft stat: no admin address given\n";
    return std::nullopt;
  }
  return options;
}

int run_stat_golden(std::span<const std::string_view> args, std::ostream& out,
                    std::ostream& err) {
  for (const auto arg : args) {
    if (arg == "-h" || arg == "--help") {
      print_golden_usage(out);
      return 0;
    }
  }
  const auto options = parse_golden_options(args, err);
  if (!options) {
    print_golden_usage(err);
    return 64;
  }
  const auto first = scrape_round(*options, err);
  if (!first) return 1;
  if (options->interval.count() == 0) {
    print_golden_table(out, *options, nullptr, *first);
    return 0;
  }
  std::this_thread::sleep_until(first->front().at + options->interval);
  const auto last = scrape_round(*options, err);
  if (!last) return 1;
  print_golden_table(out, *options, &*first, *last);
  return 0;
}

void print_golden_usage(std::ostream& out) {
  out << "Usage: weft stat [--interval 5s] [--timeout 5s] [--outbound] [NAME=]ADMIN_ADDR[,...] "
         "...\n"
         "       weft stat tcp ADMIN_ADDR[,ADMIN_ADDR...] [--interval 2s] [--timeout 5s]\n"
         "\n"
         "weft stat prints the golden metrics of `linkerd viz stat`, one row per NAME, from two\n"
         "scrapes of each proxy's http://ADMIN_ADDR/metrics --interval apart:\n"
         "  SUCCESS      responses classified success / all responses (5xx and failing gRPC\n"
         "               statuses are failures)\n"
         "  RPS          responses per second\n"
         "  LATENCY_P50, LATENCY_P95, LATENCY_P99\n"
         "               time to first byte, interpolated in response_latency_ms's buckets as\n"
         "               Prometheus' histogram_quantile does\n"
         "  TCP_CONN     TCP connections open now\n"
         "  TLS          share of the responses (or, with none, of the open connections) that\n"
         "               went over mesh TLS (tls=\"true\"): from meshed clients inbound, to\n"
         "               meshed endpoints outbound; \"-\" with neither\n"
         "SUCCESS, RPS and the latencies are \"-\" when there were no responses in the interval.\n"
         "By default the rows count what each workload served (inbound, as viz shows a\n"
         "workload); --outbound counts what it sent instead, one row per authority (TO). Several\n"
         "comma-separated addresses after NAME= are the proxies of one workload, summed into one\n"
         "row. --interval 0 scrapes once: counts and latencies over the proxies' lifetime, no\n"
         "RPS. ADMIN_ADDR is HOST:PORT or [IPv6]:PORT (port 4191 when left out).\n"
         "\n"
         "weft stat tcp prints each proxy's TCP connections and bytes by direction, peer and\n"
         "target ('weft stat tcp --help').\n"
         "\n"
         "Example: weft stat --interval 5s web=10.77.0.3:4191 voting=10.77.0.4:4191\n";
}

}  // namespace weft::cli
