#include "golden_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <spdlog/fmt/fmt.h>
#include <unordered_map>

namespace weft::cli {
namespace {

using metrics::Direction;
using metrics::Sample;

/// A series' identity: its name and label set, independent of the order labels were written in.
std::string series_id(const Sample& s) {
  auto labels = s.labels;
  std::sort(labels.begin(), labels.end());
  std::string id = s.name;
  for (const auto& [key, value] : labels) {
    id += '\x1f';
    id += key;
    id += '=';
    id += value;
  }
  return id;
}

/// The `le` label as a number: "+Inf" is infinity. nullopt when missing or malformed.
std::optional<double> upper_bound_of(const Sample& s) {
  const auto le = s.label("le");
  if (!le || le->empty()) return std::nullopt;
  if (*le == "+Inf" || *le == "Inf") return std::numeric_limits<double>::infinity();
  const std::string text(*le);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isnan(value)) return std::nullopt;
  return value;
}

bool has_label(const Sample& s, std::string_view key, std::string_view value) {
  const auto v = s.label(key);
  return v && *v == value;
}

/// The row an outbound HTTP sample belongs to: its authority, else its target.
std::string outbound_row(const Sample& s) {
  if (const auto authority = s.label("authority"); authority && !authority->empty())
    return std::string(*authority);
  if (const auto target = s.label("target_addr"); target && !target->empty())
    return std::string(*target);
  return "-";
}

bool is_http_family(std::string_view name) {
  return name == "response_total" || name == "request_total" ||
         name == "response_latency_ms_bucket";
}

/// Whether a series went over mesh TLS: tls="true" (metrics::TlsStatus::established).
bool is_tls(const Sample& s) {
  return has_label(s, "tls", metrics::to_string(metrics::TlsStatus::established));
}

/// Adds open connections to a window, and to its TLS part when they are mesh TLS.
void add_tcp_open(GoldenWindow& window, const Sample& s) {
  window.tcp_open += s.value;
  if (is_tls(s)) window.tls_tcp_open += s.value;
}

/// Adds one increased HTTP sample to its window.
void add_http(GoldenWindow& window, const Sample& s) {
  if (s.name == "response_total") {
    const bool success = has_label(s, "classification", "success");
    if (success) window.success += s.value;
    if (has_label(s, "classification", "failure")) window.failure += s.value;
    if ((success || has_label(s, "classification", "failure")) && is_tls(s))
      window.tls_responses += s.value;
  } else if (s.name == "response_latency_ms_bucket") {
    if (const auto le = upper_bound_of(s)) window.latency[*le] += s.value;
  }
}

/// Outbound TCP_CONN: each authority's row sums the open connections to the targets its HTTP
/// series name; a target no HTTP series names (opaque TCP) gets a row of its own.
void add_outbound_tcp(GoldenWindows& windows, const std::vector<Sample>& after) {
  std::unordered_map<std::string, std::set<std::string>> rows_of_target;
  for (const auto& s : after) {
    if (!is_http_family(s.name) || !has_label(s, "direction", "outbound")) continue;
    if (const auto target = s.label("target_addr"); target && !target->empty())
      rows_of_target[std::string(*target)].insert(outbound_row(s));
  }
  for (const auto& s : after) {
    if (s.name != "tcp_open_connections" || !has_label(s, "direction", "outbound") ||
        !has_label(s, "peer", "dst"))
      continue;
    const std::string target(s.label("target_addr").value_or("-"));
    const auto it = rows_of_target.find(target);
    if (it == rows_of_target.end()) {
      add_tcp_open(windows[target], s);
      continue;
    }
    for (const auto& row : it->second) add_tcp_open(windows[row], s);
  }
}

}  // namespace

GoldenWindow& GoldenWindow::operator+=(const GoldenWindow& other) {
  success += other.success;
  failure += other.failure;
  if (requests_per_second < 0 || other.requests_per_second < 0) {
    requests_per_second = -1;
  } else {
    requests_per_second += other.requests_per_second;
  }
  for (const auto& [le, count] : other.latency) latency[le] += count;
  tcp_open += other.tcp_open;
  tls_responses += other.tls_responses;
  tls_tcp_open += other.tls_tcp_open;
  return *this;
}

std::vector<Sample> increase(const std::vector<Sample>& before, const std::vector<Sample>& after) {
  std::unordered_map<std::string, double> previous;
  previous.reserve(before.size());
  for (const auto& s : before) previous.emplace(series_id(s), s.value);
  std::vector<Sample> out = after;
  for (auto& s : out) {
    const auto it = previous.find(series_id(s));
    if (it != previous.end() && s.value >= it->second) s.value -= it->second;
  }
  return out;
}

GoldenWindows golden_windows(const std::vector<Sample>& before, const std::vector<Sample>& after,
                             double seconds, Direction direction) {
  const auto dir = metrics::to_string(direction);
  GoldenWindows windows;
  if (direction == Direction::inbound) windows[""];  // a workload always has its row
  for (const auto& s : increase(before, after)) {
    if (!is_http_family(s.name) || !has_label(s, "direction", dir)) continue;
    add_http(windows[direction == Direction::inbound ? "" : outbound_row(s)], s);
  }
  if (direction == Direction::inbound) {
    for (const auto& s : after) {
      if (s.name == "tcp_open_connections" && has_label(s, "direction", dir) &&
          has_label(s, "peer", "src"))
        add_tcp_open(windows[""], s);
    }
  } else {
    add_outbound_tcp(windows, after);
  }
  for (auto& [row, window] : windows) {
    window.requests_per_second = seconds > 0 ? (window.success + window.failure) / seconds : -1;
  }
  return windows;
}

std::optional<double> histogram_quantile(double q, const LatencyBuckets& buckets) {
  if (buckets.size() < 2 || !std::isinf(buckets.rbegin()->first)) return std::nullopt;
  // Counts are cumulative; a scrape taken mid-update may be slightly non-monotonic, which
  // Prometheus smooths the same way (each count at least the one below it).
  std::vector<std::pair<double, double>> b(buckets.begin(), buckets.end());
  for (std::size_t i = 1; i < b.size(); ++i) b[i].second = std::max(b[i].second, b[i - 1].second);
  const double observations = b.back().second;
  if (!(observations > 0)) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * observations;
  std::size_t i = 0;
  while (i < b.size() && b[i].second < rank) ++i;
  if (i >= b.size() - 1) return b[b.size() - 2].first;  // in +Inf: the highest finite bound
  if (i == 0 && b[0].first <= 0) return b[0].first;
  double start = 0;
  double count = b[i].second;
  if (i > 0) {
    start = b[i - 1].first;
    count -= b[i - 1].second;
    rank -= b[i - 1].second;
  }
  if (!(count > 0)) return b[i].first;
  return start + (b[i].first - start) * (rank / count);
}

std::vector<std::string> golden_cells(const GoldenWindow& window) {
  const double responses = window.success + window.failure;
  std::vector<std::string> cells;
  if (responses > 0) {
    cells.push_back(format_success(window.success / responses));
    cells.push_back(window.requests_per_second >= 0 ? format_rps(window.requests_per_second)
                                                    : "-");
  } else {
    cells = {"-", "-"};
  }
  for (const double q : {0.5, 0.95, 0.99}) {
    const auto ms = responses > 0 ? histogram_quantile(q, window.latency) : std::nullopt;
    cells.push_back(ms ? format_latency_ms(*ms) : "-");
  }
  cells.push_back(fmt::format("{:.0f}", std::max(window.tcp_open, 0.0)));
  return cells;
}

std::string tls_cell(const GoldenWindow& window) {
  const double responses = window.success + window.failure;
  if (responses > 0) return format_tls_share(window.tls_responses / responses);
  if (window.tcp_open > 0) return format_tls_share(window.tls_tcp_open / window.tcp_open);
  return "-";
}

std::string format_tls_share(double ratio) {
  if (!(ratio > 0)) return "0%";
  if (ratio >= 1) return "100%";
  return fmt::format("{:.0f}%", std::floor(ratio * 100));
}

std::string format_success(double ratio) { return fmt::format("{:.2f}%", ratio * 100); }

std::string format_rps(double requests_per_second) {
  return fmt::format("{:.1f}rps", requests_per_second);
}

std::string format_latency_ms(double ms) {
  if (ms < 9.95) return fmt::format("{:.1f}ms", ms);  // 9.96 would print as "10.0ms"
  return fmt::format("{:.0f}ms", ms);
}

}  // namespace weft::cli
