#include "support/h2_tools.hpp"

#include <spdlog/fmt/fmt.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace weft::test {

std::string h2_url(const boost::asio::ip::tcp::endpoint& ep, const std::string& path) {
  return fmt::format("http://{}:{}{}", ep.address().to_string(), ep.port(), path);
}

TempFile::TempFile(const std::string& content) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "weft-h2-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  path_ = dir_ + "/body";
  std::ofstream(path_, std::ios::binary) << content;
}

TempFile::~TempFile() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

CommandResult curl_h2(const std::vector<std::string>& args, const std::string& url) {
  std::vector<std::string> argv = {"curl", "--http2-prior-knowledge", "-sS", "--max-time", "60"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  return run_command(argv);
}

}  // namespace weft::test
