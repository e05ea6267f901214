#include "weft/discovery/retry_conditions.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace weft::discovery {
namespace {

using StatusRange = std::pair<std::uint16_t, std::uint16_t>;

struct GrpcName {
  std::string_view name;
  int code;
};
// The codes Linkerd's retry.linkerd.io/grpc accepts; the others are never safe to retry.
constexpr std::array<GrpcName, 5> kGrpcNames{{{"cancelled", 1},
                                              {"deadline-exceeded", 4},
                                              {"resource-exhausted", 8},
                                              {"internal", 13},
                                              {"unavailable", 14}}};

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trimmed(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char folded(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c == '_' ? '-' : c;
}

// Case-insensitive, with '_' equal to '-'; `word` is lower-case with '-'.
bool same_word(std::string_view text, std::string_view word) noexcept {
  return text.size() == word.size() && std::equal(text.begin(), text.end(), word.begin(),
                                                  [](char a, char b) { return folded(a) == b; });
}

// Calls f on each comma-separated item, trimmed; stops at the first false. An empty text has
// no items; an empty item is passed on (and refused by f).
template <class F>
bool all_items(std::string_view text, F&& f) {
  if (trimmed(text).empty()) return true;
  for (;;) {
    const auto comma = text.find(',');
    if (!f(trimmed(text.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

bool parse_status(std::string_view s, std::uint16_t& out) noexcept {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size() && out >= 100 && out <= 599;
}

bool parse_http_item(std::string_view item, StatusRange& out) noexcept {
  if (same_word(item, "gateway-error")) {
    out = {502, 504};
    return true;
  }
  if (item.size() == 3 && item[0] >= '1' && item[0] <= '5' && folded(item[1]) == 'x' &&
      folded(item[2]) == 'x') {
    const auto base = static_cast<std::uint16_t>((item[0] - '0') * 100);
    out = {base, static_cast<std::uint16_t>(base + 99)};
    return true;
  }
  const auto dash = item.find('-');
  if (dash == std::string_view::npos) {
    if (!parse_status(item, out.first)) return false;
    out.second = out.first;
    return true;
  }
  return parse_status(trimmed(item.substr(0, dash)), out.first) &&
         parse_status(trimmed(item.substr(dash + 1)), out.second) && out.first <= out.second;
}

}  // namespace

bool parse_http_conditions(std::string_view text, RetryConditions& out) {
  std::vector<StatusRange> ranges;
  const bool ok = all_items(text, [&](std::string_view item) {
    StatusRange range;
    if (!parse_http_item(item, range)) return false;
    ranges.push_back(range);
    return true;
  });
  if (!ok) return false;
  out.http = std::move(ranges);
  return true;
}

bool parse_grpc_conditions(std::string_view text, RetryConditions& out) {
  std::uint32_t mask = 0;
  const bool ok = all_items(text, [&](std::string_view item) {
    const auto it = std::find_if(kGrpcNames.begin(), kGrpcNames.end(),
                                 [item](const GrpcName& g) { return same_word(item, g.name); });
    if (it == kGrpcNames.end()) return false;
    mask |= std::uint32_t{1} << it->code;
    return true;
  });
  if (!ok) return false;
  out.grpc_mask = mask;
  return true;
}

bool RetryConditions::retries_http(unsigned status) const noexcept {
  return std::any_of(http.begin(), http.end(),
                     [status](const auto& r) { return r.first <= status && status <= r.second; });
}

bool RetryConditions::retries_grpc(int grpc_status) const noexcept {
  return grpc_status >= 0 && grpc_status < 32 && ((grpc_mask >> grpc_status) & 1U) != 0;
}

}  // namespace weft::discovery
