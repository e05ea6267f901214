#include "weft/http/classify.hpp"

#include <cstddef>

namespace weft::http {
namespace {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool is_grpc_content_type(std::string_view content_type) noexcept {
  // "application/grpc", "application/grpc+proto", "application/grpc; charset=..."; not
  // "application/grpc-web" (a different framing that gRPC-Web proxies translate).
  constexpr std::string_view kGrpc = "application/grpc";
  const std::string_view ct = trim(content_type);
  if (ct.size() < kGrpc.size() || !iequals(ct.substr(0, kGrpc.size()), kGrpc)) return false;
  if (ct.size() == kGrpc.size()) return true;
  const char next = ct[kGrpc.size()];
  return next == '+' || next == ';' || is_ows(next);
}

std::optional<int> parse_grpc_status(std::string_view value) noexcept {
  const std::string_view v = trim(value);
  // Nine digits fit an int; gRPC codes are 0..16, larger values are kept as sent.
  if (v.empty() || v.size() > 9) return std::nullopt;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool is_grpc_failure(int grpc_status) noexcept {
  // A code outside 0..16 is read as UNKNOWN, as gRPC clients do (and tonic, in Linkerd).
  if (grpc_status < 0 || grpc_status > 16) return true;
  switch (grpc_status) {
    case 2:   // UNKNOWN
    case 4:   // DEADLINE_EXCEEDED
    case 7:   // PERMISSION_DENIED
    case 13:  // INTERNAL
    case 14:  // UNAVAILABLE
    case 15:  // DATA_LOSS
      return true;
    default: return false;
  }
}

metrics::Classification classify(unsigned http_status, bool grpc, int grpc_status,
                                 bool stream_error) noexcept {
  using metrics::Classification;
  if (stream_error || http_status >= 500) return Classification::failure;
  if (grpc) {
    // A gRPC response that ends with no grpc-status is UNKNOWN, a failure (Linkerd >= 2.14).
    if (grpc_status < 0 || is_grpc_failure(grpc_status)) return Classification::failure;
  }
  return Classification::success;
}

}  // namespace weft::http
