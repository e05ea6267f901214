#include "weft/detect/http.hpp"

#include <algorithm>

namespace weft::detect {
namespace {

// The first 14 bytes of the HTTP/2 client connection preface (RFC 9113 §3.4), as Linkerd matches.
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0";

// RFC 9110 token characters (a method is a token).
bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A request-target character: visible ASCII, no space (RFC 9112 §3.2 forms are all visible).
bool is_target_char(unsigned char c) { return c > 0x20 && c < 0x7f; }

enum class Shape { incomplete, request_line, invalid };

// Checks "method SP request-target SP HTTP/1.<digit>" as far as the bytes go.
Shape request_line_shape(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_tchar(static_cast<unsigned char>(s[i]))) ++i;
  if (i == s.size()) return Shape::incomplete;
  if (i == 0 || s[i] != ' ') return Shape::invalid;
  const std::size_t target = ++i;
  while (i < s.size() && is_target_char(static_cast<unsigned char>(s[i]))) ++i;
  if (i == s.size()) return Shape::incomplete;
  if (i == target || s[i] != ' ') return Shape::invalid;
  constexpr std::string_view kVersion = "HTTP/1.";
  const auto version = s.substr(i + 1);
  const auto n = std::min(version.size(), kVersion.size());
  if (version.substr(0, n) != kVersion.substr(0, n)) return Shape::invalid;
  if (version.size() <= kVersion.size()) return Shape::incomplete;
  const char minor = version[kVersion.size()];
  return minor >= '0' && minor <= '9' ? Shape::request_line : Shape::invalid;
}

}  // namespace

std::optional<Protocol> detect_http(std::span<const std::byte> bytes) noexcept {
  const std::string_view s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (s.empty()) return std::nullopt;
  const auto n = std::min(s.size(), kH2Preface.size());
  const bool h2_prefix = s.substr(0, n) == kH2Preface.substr(0, n);
  if (h2_prefix && s.size() >= kH2Preface.size()) return Protocol::http2;
  switch (request_line_shape(s.substr(0, std::min(s.size(), kMaxDetectBytes)))) {
    case Shape::request_line: return Protocol::http1;
    case Shape::invalid: return h2_prefix ? std::nullopt : std::optional(Protocol::not_http);
    case Shape::incomplete:
      if (s.size() >= kMaxDetectBytes) return Protocol::http1;
      return std::nullopt;
  }
  return Protocol::not_http;
}

std::string_view to_string(Protocol p) noexcept {
  switch (p) {
    case Protocol::http1: return "http/1";
    case Protocol::http2: return "http/2";
    case Protocol::not_http: return "not_http";
  }
  return "not_http";
}

}  // namespace weft::detect
