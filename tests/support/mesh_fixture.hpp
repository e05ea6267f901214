// Two meshed pods in one test process, for the mTLS integration tests: a client pod's proxy
// ("A", identity emojivoto/web) whose outbound traffic to a virtual address is routed by a
// published destination table to an endpoint with an expected identity (usually the server pod's
// inbound listener), and a server pod's proxy ("B", identity emojivoto/voting) whose inbound
// listener forwards to the test's application. Identities are issued by the real `weft
// identity` (Pki); curl replies are parsed into status, head and body.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/identity_tools.hpp"
#include "support/proxy_fixture.hpp"

namespace weft::test {

/// The address the client pod calls: a ClusterIP nobody listens on.
inline const boost::asio::ip::tcp::endpoint kMeshVip{boost::asio::ip::make_address("127.0.0.99"),
                                                     80};

/// A destination document: one service at kMeshVip with one endpoint; `identity` empty for a
/// plaintext endpoint, `opaque` for a service forwarded as TCP with no protocol detection.
std::string mesh_service_yaml(const boost::asio::ip::tcp::endpoint& endpoint,
                              const std::string& identity, bool opaque = false);

/// Parses `yaml` and publishes it as the proxy's destination table.
[[nodiscard]] testing::AssertionResult publish_destinations(app::Proxy& proxy,
                                                            const std::string& yaml);

/// Waits until GET /ready answers `status`.
[[nodiscard]] testing::AssertionResult wait_for_ready(
    const app::Proxy& proxy, int status = 200,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

/// Scrapes until metric_value(name, labels) >= at_least or the timeout passes.
[[nodiscard]] testing::AssertionResult wait_for_metric_at_least(
    const app::Proxy& proxy, const std::string& name,
    const std::map<std::string, std::string>& labels, double at_least,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

/// Every sample of `name` in the proxy's exposition, one per line (for failure messages).
std::string dump_metric(const app::Proxy& proxy, const std::string& name);

/// One curl exchange: the status of the last response, its head (status line and fields) and
/// body; `error` holds curl's stderr when it failed (status 0).
struct HttpReply {
  int status = 0;
  std::string head;
  std::string body;
  std::string error;
  /// The head has a field `name` (case-insensitive).
  bool has_header(std::string_view name) const;
};

/// curl -sS -i ARGS... URL.
HttpReply curl_reply(const std::vector<std::string>& args, const std::string& url);

/// ASCII lowercase.
std::string lowercase(std::string text);

/// Occurrences of `needle` in `text`.
std::size_t count_of(std::string_view text, std::string_view needle);

/// What one h2load run reports.
struct LoadRun {
  int total = -1;  // -1: h2load did not run or printed no summary
  int succeeded = -1;
  int failed = -1;
  int errored = -1;
  int ok_2xx = -1;
  std::string output;
  /// Every request was made, answered and 2xx.
  bool clean() const {
    return total > 0 && succeeded == total && failed == 0 && errored == 0 && ok_2xx == total;
  }
};

/// h2load ARGS... (120 s bound), its summary parsed.
LoadRun run_h2load(const std::vector<std::string>& args);

class MeshTest : public ::testing::Test {
 protected:
  static constexpr const char* kNs = "emojivoto";

  /// Issues the web (client pod) and voting (server pod) identities.
  MeshTest();

  /// spiffe://cluster.local/ns/emojivoto/sa/<sa>
  std::string id(const std::string& sa) const { return pki_.id(kNs, sa); }

  /// A server pod: inbound (and outbound) forward to `app`; its identity is `identity_dir`
  /// (voting's when empty). Waits until /ready answers 200; nullptr (and a failure) otherwise.
  std::unique_ptr<app::Proxy> start_server_pod(const boost::asio::ip::tcp::endpoint& app,
                                               core::ProxyConfig config = loopback_config(),
                                               std::string identity_dir = {});

  /// A client pod with web's identity: its outbound goes to kMeshVip, which the published table
  /// sends to `endpoint`, expected to be `identity` (plaintext when empty). Waits until /ready
  /// answers 200; nullptr (and a failure) otherwise.
  std::unique_ptr<app::Proxy> start_client_pod(const boost::asio::ip::tcp::endpoint& endpoint,
                                               const std::string& identity, bool opaque = false,
                                               core::ProxyConfig config = loopback_config());

  Pki pki_;
  std::string web_dir_;
  std::string voting_dir_;
};

}  // namespace weft::test
