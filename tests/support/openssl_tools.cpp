#include "support/openssl_tools.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace weft::test {

using namespace std::chrono_literals;

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void put_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> pem_certificates(const std::string& text) {
  static const std::string kEnd = "-----END CERTIFICATE-----\n";
  std::vector<std::string> blocks;
  std::size_t at = 0;
  while (true) {
    const auto begin = text.find("-----BEGIN CERTIFICATE-----", at);
    if (begin == std::string::npos) return blocks;
    const auto end = text.find(kEnd, begin);
    if (end == std::string::npos) return blocks;
    blocks.push_back(text.substr(begin, end + kEnd.size() - begin));
    at = end + kEnd.size();
  }
}

std::string write_intermediates(const std::string& crt_path, const std::string& out_path) {
  const auto blocks = pem_certificates(file_text(crt_path));
  std::string rest;
  for (std::size_t i = 1; i < blocks.size(); ++i) rest += blocks[i];
  put_file(out_path, rest);
  return out_path;
}

namespace {

std::vector<std::string> s_server_argv(const std::vector<std::string>& args) {
  // Through sh so that s_server's stdout (ACCEPT, received data) lands in the captured stderr.
  std::vector<std::string> argv = {
      "sh", "-c", "exec \"$0\" \"$@\" 1>&2", "openssl", "s_server", "-accept", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

OpensslServer::OpensslServer(const std::vector<std::string>& args)
    : process_(s_server_argv(args), {}) {
  const auto port = process_.wait_for_log("ACCEPT 127.0.0.1:", 10s);
  if (port && !port->empty()) {
    endpoint_ = {boost::asio::ip::make_address("127.0.0.1"),
                 static_cast<std::uint16_t>(std::stoi(*port))};
  }
}

CommandResult run_s_client(const boost::asio::ip::tcp::endpoint& target,
                           const std::vector<std::string>& args, const std::string& input,
                           std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {
      "openssl", "s_client", "-connect",
      fmt::format("{}:{}", target.address().to_string(), target.port())};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, timeout);
}

}  // namespace weft::test
