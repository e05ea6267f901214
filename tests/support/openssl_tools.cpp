#include "support/openssl_tools.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

std::string make_input_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "weft-s_server-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  if (::mkfifo((tmpl + "/stdin").c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
  return tmpl;
}

std::vector<std::string> s_server_argv(const std::string& fifo,
                                       const std::vector<std::string>& args) {
  // A FIFO opened for reading and writing never reaches its end and never blocks the open. The
  // shell execs s_server, so the child's PID is s_server's; its stdout goes to the captured
  // stderr.
  std::vector<std::string> argv = {
      "sh", "-c", "exec 0<>\"$0\"; exec openssl s_server -accept 127.0.0.1:0 \"$@\" 1>&2", fifo};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

OpensslServer::OpensslServer(const std::vector<std::string>& args)
    : dir_(make_input_dir()), process_(s_server_argv(dir_ + "/stdin", args), {}) {
  const auto port = process_.wait_for_log("ACCEPT 127.0.0.1:", 10s);
  if (port && !port->empty()) {
    endpoint_ = {boost::asio::ip::make_address("127.0.0.1"),
                 static_cast<std::uint16_t>(std::stoi(*port))};
  }
}

OpensslServer::~OpensslServer() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
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
