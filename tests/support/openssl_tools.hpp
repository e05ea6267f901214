// The `openssl` program as a TLS test peer: s_server on 127.0.0.1 with a kernel-chosen port (its
// output captured for the test to read what it verified and received) and bounded s_client runs,
// plus the PEM and file handling that tests around certificate files share.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace weft::test {

/// The whole file ("" when it cannot be read).
std::string file_text(const std::string& path);

/// Writes `text` to `path`, replacing the file.
void put_file(const std::string& path, const std::string& text);

/// The certificate PEM blocks of `text`, each with its BEGIN and END lines, in order.
std::vector<std::string> pem_certificates(const std::string& text);

/// The certificates after the first in `crt_path` (a leaf's intermediates), written to
/// `out_path` for the openssl program's -cert_chain (its -cert reads only the first); returns
/// `out_path`.
std::string write_intermediates(const std::string& crt_path, const std::string& out_path);

/// `openssl s_server -accept 127.0.0.1:0 ARGS...`, stdout merged into the captured stderr, killed
/// (by PID) with the object. Waits (10 s at most) for its ACCEPT line: check ok() after. Its
/// input is a FIFO that never ends, so that the interactive mode (no -www, -rev...), which quits
/// at the end of its input, keeps serving and prints what each client sends.
class OpensslServer {
 public:
  explicit OpensslServer(const std::vector<std::string>& args);
  ~OpensslServer();
  OpensslServer(const OpensslServer&) = delete;
  bool ok() const noexcept { return endpoint_.port() != 0; }
  const boost::asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
  /// Everything s_server printed so far (handshake results, received data, errors).
  std::string log() const { return process_.stderr_text(); }
  ChildProcess& process() noexcept { return process_; }

 private:
  std::string dir_;  // holds the input FIFO
  ChildProcess process_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

/// `openssl s_client -connect <target> ARGS...` with `input` on stdin, bounded by `timeout`.
CommandResult run_s_client(const boost::asio::ip::tcp::endpoint& target,
                           const std::vector<std::string>& args, const std::string& input,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace weft::test
