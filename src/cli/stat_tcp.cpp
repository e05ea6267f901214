#include "stat_tcp.hpp"

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
#include <tuple>

#include "http_get.hpp"
#include "scrape.hpp"
#include "table.hpp"
#include "weft/core/parse.hpp"

namespace weft::cli {
namespace {

using Clock = StatClock;

struct StatOptions {
  std::vector<AdminAddr> proxies;
  std::chrono::milliseconds interval{2000};
  std::chrono::milliseconds timeout{5000};
};

struct Scrape {
  TcpStats stats;
  Clock::time_point at;
};

int peer_rank(std::string_view peer) { return peer == "src" ? 0 : peer == "dst" ? 1 : 2; }

std::string target_of(const metrics::Sample& s) {
  if (const auto addr = s.label("target_addr"); addr && !addr->empty()) return std::string(*addr);
  const auto ip = s.label("target_ip");
  const auto port = s.label("target_port");
  if (ip && port && !ip->empty()) return std::string(*ip) + ":" + std::string(*port);
  return "-";
}

/// The peer's mesh identity: client_id on the accepted side, server_id on the opened one.
std::string identity_of(const metrics::Sample& s) {
  if (const auto id = s.label("client_id")) return std::string(*id);
  return std::string(s.label("server_id").value_or(""));
}

/// Parses the arguments after "tcp". Returns nullopt (and says why on `err`) on bad arguments.
std::optional<StatOptions> parse_options(std::span<const std::string_view> args,
                                         std::ostream& err) {
  StatOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    const bool is_interval = arg == "--interval" || arg.starts_with("--interval=");
    const bool is_timeout = arg == "--timeout" || arg.starts_with("--timeout=");
    if (is_interval || is_timeout) {
      if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        err << "weft stat tcp: " << arg << " needs a value\n";
        return std::nullopt;
      }
      const auto d = core::parse_duration(value);
      if (!d || (is_timeout && d->count() == 0)) {
        err << "weft stat tcp: invalid duration '" << value << "' (use e.g. 500ms, 2s, 1m)\n";
        return std::nullopt;
      }
      (is_interval ? options.interval : options.timeout) = *d;
      continue;
    }
    if (arg.starts_with("-")) {
      err << "weft stat tcp: unknown flag " << arg << "\n";
      return std::nullopt;
    }
    while (!arg.empty()) {
      const auto comma = arg.find(',');
      const auto item = arg.substr(0, comma);
      arg.remove_prefix(comma == std::string_view::npos ? arg.size() : comma + 1);
      const auto addr = parse_admin_addr(item);
      if (!addr) {
        err << "weft stat tcp: invalid admin address '" << item
            << "' (want HOST:PORT, e.g. 10.77.0.2:4191)\n";
        return std::nullopt;
      }
      options.proxies.push_back(*addr);
    }
  }
  if (options.proxies.empty()) {
    err << "weft stat tcp: no admin address given\n";
    return std::nullopt;
  }
  return options;
}

/// Scrapes one proxy. On failure returns nullopt and writes one line saying what went wrong.
std::optional<Scrape> scrape(const AdminAddr& addr, std::chrono::milliseconds timeout,
                             std::ostream& err) {
  const auto scraped = scrape_metrics(addr, timeout, err);
  if (!scraped) return std::nullopt;
  return Scrape{collect_tcp(scraped->samples), scraped->at};
}

/// Scrapes every proxy; nullopt if any of them failed (each failure has been reported).
std::optional<std::vector<Scrape>> scrape_all(const StatOptions& options, std::ostream& err) {
  std::vector<Scrape> scrapes;
  bool ok = true;
  for (const auto& addr : options.proxies) {
    auto s = scrape(addr, options.timeout, err);
    ok = ok && s.has_value();
    scrapes.push_back(s ? std::move(*s) : Scrape{});
  }
  if (!ok) return std::nullopt;
  return scrapes;
}

/// Counter increase per second between two scrapes; a counter that went down was reset.
double rate(double before, double after, double seconds) {
  if (seconds <= 0) return -1;
  return (after >= before ? after - before : after) / seconds;
}

void print_proxy(std::ostream& out, const AdminAddr& addr, const Scrape* first,
                 const Scrape& last) {
  const double seconds = first ? std::chrono::duration<double>(last.at - first->at).count() : 0;
  char title[128];
  if (first) {
    std::snprintf(title, sizeof title, "proxy %s (rates over %.1fs)", addr.to_string().c_str(),
                  seconds);
  } else {
    std::snprintf(title, sizeof title, "proxy %s", addr.to_string().c_str());
  }
  out << title << "\n";
  if (last.stats.empty()) {
    out << "  no TCP connections recorded\n";
    return;
  }
  print_table(out, tcp_header(), tcp_rows(first ? &first->stats : nullptr, last.stats, seconds),
              "  ");
}

}  // namespace

bool TcpKey::operator<(const TcpKey& other) const {
  return std::forward_as_tuple(direction, target, peer_rank(peer), peer, tls, identity) <
         std::forward_as_tuple(other.direction, other.target, peer_rank(other.peer), other.peer,
                               other.tls, other.identity);
}

TableRow tcp_header() {
  return {"DIRECTION", "PEER",   "TARGET",     "TLS",         "IDENTITY",  "OPENED",    "OPEN",
          "CLOSED",    "ERRORS", "READ_BYTES", "WRITE_BYTES", "READ_RATE", "WRITE_RATE"};
}

std::vector<TableRow> tcp_rows(const TcpStats* first, const TcpStats& last, double seconds) {
  std::vector<TableRow> rows;
  for (const auto& [key, now] : last) {
    TcpCounts before;
    if (first) {
      if (const auto it = first->find(key); it != first->end()) before = it->second;
    }
    rows.push_back({key.direction, key.peer, key.target, key.tls,
                    key.identity.empty() ? "-" : key.identity, format_count(now.opened),
                    format_count(now.open), format_count(now.closed), format_count(now.errors),
                    format_count(now.read_bytes), format_count(now.write_bytes),
                    format_rate(rate(before.read_bytes, now.read_bytes, seconds)),
                    format_rate(rate(before.write_bytes, now.write_bytes, seconds))});
  }
  return rows;
}

TcpStats collect_tcp(const std::vector<metrics::Sample>& samples) {
  TcpStats stats;
  for (const auto& s : samples) {
    double TcpCounts::*field = nullptr;
    if (s.name == "tcp_open_total")
      field = &TcpCounts::opened;
    else if (s.name == "tcp_open_connections")
      field = &TcpCounts::open;
    else if (s.name == "tcp_close_total")
      field = &TcpCounts::closed;
    else if (s.name == "tcp_read_bytes_total")
      field = &TcpCounts::read_bytes;
    else if (s.name == "tcp_write_bytes_total")
      field = &TcpCounts::write_bytes;
    else
      continue;
    TcpKey key{std::string(s.label("direction").value_or("-")), target_of(s),
               std::string(s.label("peer").value_or("-")),
               std::string(s.label("tls").value_or("-")), identity_of(s)};
    auto& counts = stats[std::move(key)];
    counts.*field += s.value;
    if (field == &TcpCounts::closed && !s.label("errno").value_or("").empty())
      counts.errors += s.value;
  }
  return stats;
}

int run_stat_tcp(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  for (const auto arg : args) {
    if (arg == "-h" || arg == "--help") {
      print_stat_usage(out);
      return 0;
    }
  }
  const auto options = parse_options(args, err);
  if (!options) {
    print_stat_usage(err);
    return 64;
  }
  const auto first = scrape_all(*options, err);
  if (!first) return 1;
  std::optional<std::vector<Scrape>> last;
  if (options->interval.count() > 0) {
    std::this_thread::sleep_until(Clock::now() + options->interval);
    last = scrape_all(*options, err);
    if (!last) return 1;
  }
  for (std::size_t i = 0; i < options->proxies.size(); ++i) {
    if (i > 0) out << "\n";
    if (last) {
      print_proxy(out, options->proxies[i], &(*first)[i], (*last)[i]);
    } else {
      print_proxy(out, options->proxies[i], nullptr, (*first)[i]);
    }
  }
  return 0;
}

void print_stat_usage(std::ostream& out) {
  out << "Usage: weft stat tcp ADMIN_ADDR[,ADMIN_ADDR...] [--interval 2s] [--timeout 5s]\n"
         "\n"
         "Scrapes each proxy's http://ADMIN_ADDR/metrics twice, --interval apart, and prints its "
         "TCP\n"
         "connections by direction, peer (src = accepted, dst = opened by the proxy), target and\n"
         "TLS (the tls label: true for mesh TLS, no_identity, opaque) with the peer's IDENTITY\n"
         "(client_id of a meshed client, server_id of a meshed endpoint; \"-\" for none):\n"
         "connections opened, open now and closed (ERRORS: closed with an errno), bytes read and\n"
         "written, and bytes per second over the interval. --interval 0 scrapes once (no rates).\n"
         "ADMIN_ADDR is HOST:PORT or [IPv6]:PORT; the port defaults to 4191.\n"
         "\n"
         "Example: weft stat tcp 10.77.0.2:4191,10.77.0.3:4191 --interval 2s\n";
}

}  // namespace weft::cli
