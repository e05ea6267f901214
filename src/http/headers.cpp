#include "weft/http/headers.hpp"

#include <array>

namespace weft::http {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool is_fixed_hop_by_hop(std::string_view name) noexcept {
  // Not Trailer: RFC 2616 listed "Trailers" here, but RFC 9110 makes the Trailer field (which
  // announces the trailer section) end to end, and the proxy passes trailer sections through.
  static constexpr std::array<std::string_view, 6> kFixed = {
      "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"};
  for (auto fixed : kFixed) {
    if (iequals(name, fixed)) return true;
  }
  return false;
}

bool is_hop_by_hop(std::string_view name, std::string_view connection) noexcept {
  return is_fixed_hop_by_hop(name) || (!name.empty() && has_token(connection, name));
}

}  // namespace weft::http
