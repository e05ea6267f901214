// TEMPORARY (i4-retry): replaced by the discovery helper's implementation at merge
// Stand-ins so that the i4-retry branch links and its tests run: the retry-condition parsers
// (discovery helper) and balance::backoff_delay (balance helper, marked below).
#include "weft/discovery/retry_conditions.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>
#include <vector>

#include "weft/balance/backoff.hpp"

namespace weft::discovery {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class F>
bool each_item(std::string_view text, F&& f) {
  if (trim(text).empty()) return false;
  while (true) {
    const auto comma = text.find(',');
    if (!f(trim(text.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

bool status(std::string_view s, std::uint16_t& out) noexcept {
  unsigned n = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || n < 100 || n > 599) {
    return false;
  }
  out = static_cast<std::uint16_t>(n);
  return true;
}

bool same_name(std::string_view given, std::string_view name) noexcept {
  if (given.size() != name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = given[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c == '_') c = '-';
    if (c != name[i]) return false;
  }
  return true;
}

}  // namespace

bool parse_http_conditions(std::string_view text, RetryConditions& out) {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> ranges;
  const bool ok = each_item(text, [&](std::string_view item) {
    if (item == "5xx" || item == "5XX") {
      ranges.emplace_back(500, 599);
      return true;
    }
    if (item == "gateway-error") {
      ranges.emplace_back(502, 504);
      return true;
    }
    std::uint16_t lo = 0;
    std::uint16_t hi = 0;
    const auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!status(item, lo)) return false;
      ranges.emplace_back(lo, lo);
      return true;
    }
    if (!status(trim(item.substr(0, dash)), lo) || !status(trim(item.substr(dash + 1)), hi) ||
        lo > hi) {
      return false;
    }
    ranges.emplace_back(lo, hi);
    return true;
  });
  if (!ok) return false;
  out.http = std::move(ranges);
  return true;
}

bool parse_grpc_conditions(std::string_view text, RetryConditions& out) {
  static constexpr std::array<std::pair<std::string_view, int>, 5> kCodes = {{
      {"cancelled", 1},
      {"deadline-exceeded", 4},
      {"resource-exhausted", 8},
      {"internal", 13},
      {"unavailable", 14},
  }};
  std::uint32_t mask = 0;
  const bool ok = each_item(text, [&](std::string_view item) {
    const auto* code = std::find_if(kCodes.begin(), kCodes.end(),
                                    [&](const auto& c) { return same_name(item, c.first); });
    if (code == kCodes.end()) return false;
    mask |= std::uint32_t{1} << code->second;
    return true;
  });
  if (!ok) return false;
  out.grpc_mask = mask;
  return true;
}

}  // namespace weft::discovery

// TEMPORARY (i4-retry): balance::backoff_delay, replaced by the balance helper's at merge.
namespace weft::balance {

std::chrono::nanoseconds backoff_delay(const BackoffParams& params, std::uint32_t failures,
                                       std::minstd_rand& rng) noexcept {
  const double min_ns = std::chrono::duration<double, std::nano>(params.min).count();
  const double max_ns = std::chrono::duration<double, std::nano>(params.max).count();
  const double exp = std::min<double>(failures > 0 ? failures - 1 : 0, 62);
  const double base = std::min(min_ns * std::exp2(exp), max_ns);
  std::uniform_real_distribution<double> spread(-1.0, 1.0);
  const double jitter = std::clamp(params.jitter, 0.0, 1.0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(base * (1.0 + jitter * spread(rng))));
}

}  // namespace weft::balance

// TEMPORARY (i4-retry): RetryConditions' queries, replaced by the discovery helper's table.cpp.
namespace weft::discovery {

bool RetryConditions::retries_http(unsigned status) const noexcept {
  return std::any_of(http.begin(), http.end(),
                     [&](const auto& r) { return r.first <= status && status <= r.second; });
}

bool RetryConditions::retries_grpc(int grpc_status) const noexcept {
  return grpc_status >= 0 && grpc_status < 32 && (grpc_mask >> grpc_status & 1u) != 0;
}

}  // namespace weft::discovery
