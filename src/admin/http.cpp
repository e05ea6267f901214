#include "weft/admin/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace weft::admin {
namespace {

bool is_tchar(char c) noexcept {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated element of a header value.
template <class F>
void for_each_element(std::string_view value, F&& f) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    f(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool parse_request_line(std::string_view line, Request& req) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  req.method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(req.method) || target.empty()) return false;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  if (version == "HTTP/1.1") {
    req.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    req.version_minor = 0;
  } else {
    return false;
  }
  if (target.starts_with("http://") || target.starts_with("https://")) {  // absolute-form
    target.remove_prefix(target.find("//") + 2);
    const auto slash = target.find_first_of("/?");
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.front() != '/' && target != "*") return false;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  req.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  return true;
}

bool parse_header(std::string_view line, Request& req) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (!is_token(name)) return false;  // also rejects obs-fold and space before the colon
  for (char c : value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  if (iequals(name, "connection")) {
    for_each_element(value, [&](std::string_view opt) {
      if (iequals(opt, "close")) req.keep_alive = false;
      if (iequals(opt, "keep-alive") && req.version_minor == 0) req.keep_alive = true;
    });
  } else if (iequals(name, "content-length")) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) return false;
    if (req.content_length && *req.content_length != n) return false;
    req.content_length = n;
  } else if (iequals(name, "transfer-encoding")) {
    req.chunked = true;
  }
  return true;
}

}  // namespace

ParseResult parse_request_head(std::string_view data, std::size_t max_head) {
  ParseResult out;
  Request& req = out.request;
  std::size_t pos = 0;
  // RFC 9112 2.2: ignore empty lines before the request line.
  while (pos < data.size() && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
  bool first = true;
  for (;;) {
    const auto eol = data.find('\n', pos);
    if (eol == std::string_view::npos || eol + 1 > max_head) {
      out.status = data.size() >= max_head ? ParseStatus::too_large : ParseStatus::need_more;
      return out;
    }
    std::string_view line = data.substr(pos, eol - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    pos = eol + 1;
    if (first) {
      if (!parse_request_line(line, req)) break;
      req.keep_alive = req.version_minor == 1;
      first = false;
      continue;
    }
    if (line.empty()) {
      req.head_size = pos;
      out.status = ParseStatus::complete;
      return out;
    }
    if (!parse_header(line, req)) break;
  }
  out.status = ParseStatus::malformed;
  return out;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

std::string serialize_head(const Response& r, ConnectionHeader connection) {
  std::string out;
  out.reserve(160);
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\n";
  if (!r.allow.empty()) {
    out += "Allow: ";
    out += r.allow;
    out += "\r\n";
  }
  if (connection == ConnectionHeader::close) out += "Connection: close\r\n";
  if (connection == ConnectionHeader::keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  return out;
}

}  // namespace weft::admin
