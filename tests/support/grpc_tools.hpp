// Debian's python3-grpcio as a test peer (tests/support/grpc): a server process on 127.0.0.x and
// runs of the client's named cases, each case's JSON result parsed, for the gRPC integration
// tests (gRPC through one or two proxies, balancing over replicas, retries and deadlines).
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace weft::test {

using Json = nlohmann::json;

inline constexpr const char* kPython = "/usr/bin/python3";

/// The path of a script in tests/support/grpc.
std::string grpc_tool(const char* name);

/// Why gRPC tests cannot run here, or "" when they can.
std::string missing_grpc();

/// grpc_server.py on `host`, port 0, with extra `args` (--name, --fail-every, ...); stopped with
/// SIGTERM (then killed, by PID) with the object.
class GrpcServer {
 public:
  explicit GrpcServer(const std::vector<std::string>& args = {},
                      const std::string& host = "127.0.0.1");
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  bool ready() const { return endpoint_.port() != 0; }
  const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
  std::string log() const { return process_.stderr_text(); }

 private:
  ChildProcess process_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

/// One run of grpc_client.py: its exit code and each case's JSON result.
struct ClientRun {
  int exit_code = -1;
  std::map<std::string, Json> cases;
  std::string output;  // stdout and stderr, for failure messages
};

ClientRun run_client(const boost::asio::ip::tcp::endpoint& target, const std::string& cases = {},
                     const std::vector<std::string>& options = {});

/// The case ran and had the outcome the client expects of it (see grpc_client.py).
testing::AssertionResult case_ok(const ClientRun& run, const std::string& name);

}  // namespace weft::test
