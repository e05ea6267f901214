#include "http_get.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/errc.hpp>
#include <cctype>
#include <charconv>

#include "weft/core/parse.hpp"

namespace weft::cli {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxResponse = 64 * 1024 * 1024;

error_code bad_message() { return make_error_code(boost::system::errc::bad_message); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// The value of header `name` (lower case) in the header block, or empty.
std::string_view header(std::string_view headers, std::string_view name) {
  while (!headers.empty()) {
    const auto eol = headers.find("\r\n");
    const auto line = headers.substr(0, eol);
    headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || lower(line.substr(0, colon)) != name) continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return value;
  }
  return {};
}

result<std::string> decode_chunked(std::string_view body) {
  std::string out;
  while (true) {
    const auto eol = body.find("\r\n");
    if (eol == std::string_view::npos) return bad_message();
    auto size_text = body.substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    std::size_t size = 0;
    const auto [ptr, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc{} || size_text.empty()) return bad_message();
    body.remove_prefix(eol + 2);
    if (size == 0) return out;  // trailers, if any, are ignored
    if (body.size() < size + 2) return bad_message();
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

/// True once `raw` holds a whole response: headers plus Content-Length bytes, or a chunked body
/// up to its last chunk. Without either, only EOF ends the body.
bool response_complete(std::string_view raw) {
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return false;
  const auto headers = raw.substr(0, head_end + 2);
  const auto body = raw.substr(head_end + 4);
  if (lower(header(headers, "transfer-encoding")).find("chunked") != std::string::npos) {
    return decode_chunked(body).has_value();
  }
  const auto length_text = header(headers, "content-length");
  if (length_text.empty()) return false;
  const auto length = core::parse_uint(length_text, 0, kMaxResponse);
  return !length || body.size() >= *length;  // a bad length is reported by the parser
}

asio::awaitable<void> exchange(tcp::resolver& resolver, tcp::socket& socket, const AdminAddr& addr,
                               std::string request, std::string& raw, error_code& result) {
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
      addr.host, std::to_string(addr.port), asio::as_tuple(asio::use_awaitable));
  if (resolve_ec) {
    result = resolve_ec;
    co_return;
  }
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
  if (connect_ec) {
    result = connect_ec;
    co_return;
  }
  auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(request),
                                                        asio::as_tuple(asio::use_awaitable));
  if (write_ec) {
    result = write_ec;
    co_return;
  }
  // Read until the response is complete, not only until EOF: a server may keep the connection
  // open despite "Connection: close".
  auto buffer = asio::dynamic_buffer(raw, kMaxResponse);
  while (!response_complete(raw)) {
    auto [read_ec, read] = co_await socket.async_read_some(buffer.prepare(16 * 1024),
                                                           asio::as_tuple(asio::use_awaitable));
    buffer.commit(read);
    if (read_ec == asio::error::eof) co_return;
    if (read_ec) {
      result = read_ec;
      co_return;
    }
  }
}

}  // namespace

std::string AdminAddr::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

result<AdminAddr> parse_admin_addr(std::string_view text) {
  const auto invalid = make_error_code(boost::system::errc::invalid_argument);
  if (text.starts_with("http://")) text.remove_prefix(7);
  while (text.ends_with('/')) text.remove_suffix(1);
  if (text.empty()) return invalid;
  AdminAddr addr;
  const bool bracketed = text.front() == '[';
  const auto close = text.find(']');
  if (bracketed && close == std::string_view::npos) return invalid;
  const auto colon =
      bracketed ? (close + 1 < text.size() ? close + 1 : std::string_view::npos) : text.rfind(':');
  addr.host =
      bracketed ? std::string(text.substr(1, close - 1)) : std::string(text.substr(0, colon));
  if (addr.host.empty() || (!bracketed && addr.host.find(':') != std::string::npos)) return invalid;
  if (colon != std::string_view::npos) {
    if (text[colon] != ':') return invalid;
    const auto port = core::parse_uint(text.substr(colon + 1), 1, 65535);
    if (!port) return invalid;
    addr.port = static_cast<std::uint16_t>(*port);
  }
  return addr;
}

result<HttpResponse> parse_http_response(std::string_view raw) {
  const auto head_end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || head_end == std::string_view::npos) return bad_message();
  const auto status_line = raw.substr(0, raw.find("\r\n"));
  const auto space = status_line.find(' ');
  if (space == std::string_view::npos || status_line.size() < space + 4) return bad_message();
  HttpResponse response;
  const auto code = status_line.substr(space + 1, 3);
  const auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), response.status);
  if (ec != std::errc{} || ptr != code.data() + code.size()) return bad_message();

  const auto headers = raw.substr(status_line.size() + 2, head_end - status_line.size());
  auto body = raw.substr(head_end + 4);
  if (lower(header(headers, "transfer-encoding")).find("chunked") != std::string::npos) {
    auto decoded = decode_chunked(body);
    if (!decoded) return decoded.error();
    response.body = std::move(*decoded);
    return response;
  }
  if (const auto length_text = header(headers, "content-length"); !length_text.empty()) {
    const auto length = core::parse_uint(length_text, 0, kMaxResponse);
    if (!length || body.size() < *length) return bad_message();
    body = body.substr(0, *length);
  }
  response.body = std::string(body);
  return response;
}

result<HttpResponse> http_get(const AdminAddr& addr, std::string_view path,
                              std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::socket socket(ioc);
  std::string request =
      "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + addr.to_string() +
      "\r\nUser-Agent: weft-cli\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
  std::string raw;
  error_code ec;
  bool done = false;
  asio::co_spawn(ioc, exchange(resolver, socket, addr, std::move(request), raw, ec),
                 [&done](std::exception_ptr) { done = true; });
  ioc.run_for(timeout);
  if (!done) {
    // The deadline passed: cancel whatever is pending and let the coroutine unwind.
    resolver.cancel();
    error_code ignored;
    socket.close(ignored);
    ioc.restart();
    ioc.run();
    return make_error_code(boost::system::errc::timed_out);
  }
  if (ec) return ec;
  return parse_http_response(raw);
}

}  // namespace weft::cli
