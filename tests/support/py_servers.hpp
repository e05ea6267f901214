// Real HTTP endpoints for the HTTP/1 proxy's integration tests, as child processes: the Python
// http.server endpoint of tests/support/h1_server.py and the python3-websockets echo server of
// tests/support/ws_echo.py, each on 127.0.0.1 with a kernel-chosen port. Killed (by PID) when the
// object goes away.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace weft::test {

/// The path of a script under tests/support.
std::string support_script(const std::string& name);

class PyServer {
 public:
  /// Runs /usr/bin/python3 <script> <args...> and waits (10 s at most) for its
  /// "listening on <port>" line; check ok() after. `host`: the address the script listens on.
  PyServer(const std::string& script, const std::vector<std::string>& args = {},
           const std::string& host = "127.0.0.1");
  bool ok() const noexcept { return endpoint_.port() != 0; }
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  /// Kills the server (SIGKILL) and waits for it: its port refuses connections after.
  void stop();

 private:
  std::unique_ptr<ChildProcess> child_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

/// The HTTP/1.1 endpoint of tests/support/h1_server.py.
inline PyServer h1_endpoint() { return PyServer("h1_server.py"); }

/// One replica of tests/support/lb_endpoint.py on `host` (127.0.0.x), answering "<name>".
inline PyServer lb_endpoint(const std::string& host, const std::string& name, int latency_ms = 0,
                            int fail_every = 0) {
  return PyServer("lb_endpoint.py",
                  {"--host", host, "--name", name, "--latency-ms", std::to_string(latency_ms),
                   "--fail-every", std::to_string(fail_every)},
                  host);
}

}  // namespace weft::test
