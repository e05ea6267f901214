#include "support/grpc_tools.hpp"

#include <signal.h>
#include <spdlog/fmt/fmt.h>

#include <filesystem>
#include <sstream>

namespace weft::test {

using namespace std::chrono_literals;

std::string grpc_tool(const char* name) {
  return std::string(WEFT_SOURCE_DIR) + "/tests/support/grpc/" + name;
}

std::string missing_grpc() {
  if (run_command({kPython, "-c", "import grpc"}, {}, 30s).exit_code != 0)
    return "python3-grpcio is not installed (apt-get install python3-grpcio)";
  return {};
}

namespace {

std::vector<std::string> server_argv(const std::vector<std::string>& args,
                                     const std::string& host) {
  std::vector<std::string> argv = {kPython, grpc_tool("grpc_server.py"), "--host", host};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

GrpcServer::GrpcServer(const std::vector<std::string>& args, const std::string& host)
    : process_(server_argv(args, host), {}) {
  if (const auto port = process_.wait_for_log(fmt::format("listening on {}:", host), 30s)) {
    endpoint_ = {boost::asio::ip::make_address(host),
                 static_cast<unsigned short>(std::stoi(*port))};
  }
}

GrpcServer::~GrpcServer() {
  process_.signal(SIGTERM);
  process_.wait(5s);  // ChildProcess kills it if it has not exited by then
}

ClientRun run_client(const boost::asio::ip::tcp::endpoint& target, const std::string& cases,
                     const std::vector<std::string>& options) {
  std::vector<std::string> argv = {
      kPython, grpc_tool("grpc_client.py"), "--target",
      fmt::format("{}:{}", target.address().to_string(), target.port())};
  if (!cases.empty()) argv.insert(argv.end(), {"--cases", cases});
  argv.insert(argv.end(), options.begin(), options.end());
  const auto r = run_command(argv, {}, 180s);
  ClientRun run{r.exit_code, {}, r.out + r.err};
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("case") || !json["case"].is_string()) continue;
    auto name = json["case"].get<std::string>();
    run.cases.emplace(std::move(name), std::move(json));
  }
  return run;
}

testing::AssertionResult case_ok(const ClientRun& run, const std::string& name) {
  const auto it = run.cases.find(name);
  if (it == run.cases.end())
    return testing::AssertionFailure() << "case " << name << " did not run:\n" << run.output;
  if (it->second.value("ok", false) != true)
    return testing::AssertionFailure() << "case " << name << ": " << it->second.dump(1);
  return testing::AssertionSuccess();
}

}  // namespace weft::test
