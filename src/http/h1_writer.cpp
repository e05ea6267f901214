#include "weft/http/h1_writer.hpp"

#include <array>
#include <charconv>

#include "weft/http/headers.hpp"
#include "weft/http/request_policy.hpp"

namespace weft::http {
namespace {

void append_number(std::string& out, std::size_t n, int base) {
  std::array<char, 24> digits;
  const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n, base);
  out.append(digits.data(), end);
}

// Every field that is not hop-by-hop, as received. An upgrade message keeps its Upgrade field
// (the next hop needs it to switch protocols); the caller adds `connection: upgrade`. A request
// loses the proxy's own fields (weft-* policy, weft-client-id), which no client may set.
void append_fields(std::string& out, const MessageHead& head, bool keep_upgrade) {
  const bool request = head.kind == MessageKind::request;
  for (const auto& h : head.headers) {
    if (head.is_hop_by_hop(h.name) && !(keep_upgrade && iequals(h.name, "upgrade"))) continue;
    if (request && is_proxy_request_header(h.name)) continue;
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
}

}  // namespace

void append_request_head(std::string& out, const MessageHead& head, BodyFraming framing,
                         std::string_view host, std::string_view client_id) {
  out.append(head.method);
  out.push_back(' ');
  out.append(head.target);
  out.append(" HTTP/1.1\r\n");
  if (!host.empty()) {
    out.append("host: ");
    out.append(host);
    out.append("\r\n");
  }
  append_fields(out, head, head.upgrade);
  if (!client_id.empty()) {
    out.append(kClientIdHeader);
    out.append(": ");
    out.append(client_id);
    out.append("\r\n");
  }
  if (framing == BodyFraming::chunked) out.append("transfer-encoding: chunked\r\n");
  if (head.upgrade) out.append("connection: upgrade\r\n");
  out.append("\r\n");
}

void append_response_head(std::string& out, const MessageHead& head,
                          const ResponseHeadOptions& options) {
  const bool upgrade = head.upgrade && head.status == 101;
  out.append("HTTP/1.1 ");
  append_number(out, head.status, 10);
  out.push_back(' ');
  out.append(reason_phrase(head.status));
  out.append("\r\n");
  append_fields(out, head, upgrade);
  if (options.framing == BodyFraming::chunked) out.append("transfer-encoding: chunked\r\n");
  if (upgrade) {
    out.append("connection: upgrade\r\n");
  } else if (options.close) {
    out.append("connection: close\r\n");
  } else if (options.keep_alive_10) {
    out.append("connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void append_last_chunk(std::string& out, std::span<const Header> trailers) {
  out.append("0\r\n");
  for (const auto& h : trailers) {
    if (is_fixed_hop_by_hop(h.name) || iequals(h.name, "content-length") ||
        iequals(h.name, "host") || iequals(h.name, "trailer")) {
      continue;
    }
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  out.append("\r\n");
}

void append_chunk_header(std::string& out, std::size_t size) {
  append_number(out, size, 16);
  out.append("\r\n");
}

std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 508: return "Loop Detected";
    default: return "Unknown";
  }
}

}  // namespace weft::http
