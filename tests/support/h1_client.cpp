#include "support/h1_client.hpp"

#include <strings.h>

#include "weft/metrics/labels.hpp"

namespace weft::test {

std::string base_url(const boost::asio::ip::tcp::endpoint& listener) {
  return "http://" + metrics::format_target_addr(listener);
}

CommandResult curl(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "30"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, std::chrono::seconds(40));
}

namespace {

// Makes sure `pending` holds at least `n` bytes; false when the stream ends first.
bool fill(Client& c, std::string& pending, std::size_t n) {
  while (pending.size() < n) {
    auto more = c.read_exactly(n - pending.size());
    if (more.empty()) return false;
    pending += more;
  }
  return true;
}

bool read_line(Client& c, std::string& pending, std::string& line) {
  for (;;) {
    const auto eol = pending.find("\r\n");
    if (eol != std::string::npos) {
      line = pending.substr(0, eol);
      pending.erase(0, eol + 2);
      return true;
    }
    if (!fill(c, pending, pending.size() + 1)) return false;
  }
}

std::string field(const std::string& head, const std::string& name) {
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    const auto colon = head.find(':', pos);
    const auto eol = head.find("\r\n", pos);
    if (colon == std::string::npos || (eol != std::string::npos && colon > eol)) continue;
    if (strncasecmp(head.c_str() + pos, name.c_str(), name.size()) == 0 &&
        colon - pos == name.size()) {
      auto v = head.substr(colon + 1, (eol == std::string::npos ? head.size() : eol) - colon - 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    }
  }
  return {};
}

}  // namespace

RawResponse read_response(Client& c, std::string& pending, bool head_request) {
  RawResponse r;
  for (;;) {
    std::string line;
    if (!read_line(c, pending, line)) return r;
    if (line.empty()) break;
    r.head += r.head.empty() ? line : "\r\n" + line;
  }
  if (r.head.size() < 12) return r;
  r.status = static_cast<unsigned>(std::stoi(r.head.substr(9, 3)));
  const bool no_body = head_request || r.status < 200 || r.status == 204 || r.status == 304;
  if (!no_body) {
    if (field(r.head, "transfer-encoding") == "chunked") {
      for (;;) {
        std::string size_line;
        if (!read_line(c, pending, size_line)) return r;
        const auto size = std::stoul(size_line, nullptr, 16);
        if (size == 0) {
          for (;;) {  // the trailer section, up to its blank line
            std::string trailer;
            if (!read_line(c, pending, trailer)) return r;
            if (trailer.empty()) break;
            r.trailers += r.trailers.empty() ? trailer : "\r\n" + trailer;
          }
          break;
        }
        if (!fill(c, pending, size + 2)) return r;
        r.body += pending.substr(0, size);
        pending.erase(0, size + 2);
      }
    } else if (auto cl = field(r.head, "content-length"); !cl.empty()) {
      const auto n = std::stoul(cl);
      if (!fill(c, pending, n)) return r;
      r.body = pending.substr(0, n);
      pending.erase(0, n);
    } else {
      ReadEnd end{};
      r.body = pending + c.read_to_end(end);
      pending.clear();
    }
  }
  r.ok = true;
  return r;
}

}  // namespace weft::test
