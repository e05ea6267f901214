#include "support/py_servers.hpp"

#include <csignal>

namespace weft::test {

std::string support_script(const std::string& name) {
  return std::string(WEFT_SOURCE_DIR) + "/tests/support/" + name;
}

PyServer::PyServer(const std::string& script, const std::vector<std::string>& args,
                   const std::string& host) {
  std::vector<std::string> argv = {"/usr/bin/python3", support_script(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  child_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{});
  const auto port = child_->wait_for_log("listening on ", std::chrono::seconds(10));
  if (!port) return;
  endpoint_ = {boost::asio::ip::make_address(host),
               static_cast<unsigned short>(std::stoi(*port))};
}

void PyServer::stop() {
  child_->signal(SIGKILL);
  (void)child_->wait(std::chrono::seconds(10));
}

}  // namespace weft::test
