// Helpers for the HTTP/1 proxy's integration tests: curl runs against the proxy's listener, and
// a raw-socket reader that takes one HTTP/1 response (head and Content-Length or chunked body)
// at a time from a stream, for pipelining and bad-input tests.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "support/client.hpp"
#include "support/process.hpp"

namespace weft::test {

/// "http://127.0.0.1:<port>" of a proxy listener.
std::string base_url(const boost::asio::ip::tcp::endpoint& listener);

/// Runs curl with `args` (plus -sS and a 30 s bound).
CommandResult curl(const std::vector<std::string>& args, const std::string& input = {});

struct RawResponse {
  unsigned status = 0;
  std::string head;  // status line and fields, without the blank line
  std::string body;      // de-chunked
  std::string trailers;  // a chunked body's trailer fields, "\r\n"-separated
  bool ok = false;   // a whole response was read
};

/// Reads one response from `c` (bytes after it stay in `pending` for the next call). A HEAD
/// answer has no body: pass `head_request`.
RawResponse read_response(Client& c, std::string& pending, bool head_request = false);

}  // namespace weft::test
