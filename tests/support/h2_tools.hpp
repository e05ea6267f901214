// Helpers for the HTTP/2 integration tests: h2c URLs through a proxy listener, temporary files
// for request bodies, and runs of curl --http2-prior-knowledge, nghttp and h2load.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace weft::test {

/// "http://127.0.0.1:<port><path>".
std::string h2_url(const boost::asio::ip::tcp::endpoint& ep, const std::string& path);

/// A file with `content` in a fresh temporary directory, removed with this object.
class TempFile {
 public:
  explicit TempFile(const std::string& content);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  const std::string& path() const noexcept { return path_; }
  const std::string& dir() const noexcept { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

/// curl --http2-prior-knowledge -sS with `args` then the URL.
CommandResult curl_h2(const std::vector<std::string>& args, const std::string& url);

}  // namespace weft::test
