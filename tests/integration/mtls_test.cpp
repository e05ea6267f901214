// Automatic mTLS between two in-process proxies: a client pod (A, emojivoto/web) calls a virtual
// address that its destination table routes, as a meshed endpoint, to the inbound listener of a
// server pod (B, emojivoto/voting) in front of the application. Opaque bytes, HTTP/1, HTTP/2 and
// gRPC cross with real clients; the application sees the verified caller in weft-client-id (and
// never a forged one); both proxies label their series with the peer's identity; /ready follows
// the identity files; and a TLS connection for another server name passes B untouched to an
// application that terminates TLS itself.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/client.hpp"
#include "support/grpc_tools.hpp"
#include "support/h1_client.hpp"
#include "support/h2_test_server.hpp"
#include "support/h2_tools.hpp"
#include "support/mesh_fixture.hpp"
#include "support/openssl_tools.hpp"
#include "support/py_servers.hpp"
#include "support/random_bytes.hpp"
#include "support/self_signed.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using Labels = std::map<std::string, std::string>;
using boost::asio::ip::tcp;

using Mtls = MeshTest;

double now_seconds() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

TEST_F(Mtls, OpaqueBytesCrossByteExactBothWays) {
  TestServer app(ServerKind::echo);
  auto b = start_server_pod(app.endpoint());
  ASSERT_TRUE(b);
  auto a = start_client_pod(b->inbound_endpoint(), id("voting"), /*opaque=*/true);
  ASSERT_TRUE(a);

  constexpr std::size_t kSize = 4u * 1024 * 1024;
  const std::string data = random_bytes(kSize, 5);
  Client c(a->outbound_endpoint(), 60s);
  ASSERT_TRUE(c.connected());
  // The echo answers while the upload goes on: write and read at once, or both sides stall on
  // full buffers.
  bool sent = false;
  std::thread writer([&] {
    sent = c.send_all(data);
    c.shutdown_write();
  });
  const std::string back = c.read_exactly(kSize);
  writer.join();
  EXPECT_TRUE(sent);
  ASSERT_EQ(back.size(), kSize);
  EXPECT_EQ(sha256_hex(back), sha256_hex(data));
  ReadEnd end{};
  EXPECT_EQ(c.read_to_end(end), "");
  EXPECT_EQ(end, ReadEnd::eof);
  // The application got the plaintext, whole, over one connection.
  EXPECT_EQ(app.accepted(), 1u);
  EXPECT_EQ(sha256_hex(app.received()), sha256_hex(data));

  // Both hops of the mesh connection carry the peer's verified identity.
  EXPECT_TRUE(wait_for_metric(
      *b, "tcp_open_total",
      {{"direction", "inbound"}, {"peer", "src"}, {"tls", "true"}, {"client_id", id("web")}}, 1))
      << dump_metric(*b, "tcp_open_total");
  EXPECT_TRUE(wait_for_metric(
      *a, "tcp_open_total",
      {{"direction", "outbound"}, {"peer", "dst"}, {"tls", "true"}, {"server_id", id("voting")}},
      1))
      << dump_metric(*a, "tcp_open_total");
}

TEST_F(Mtls, Http1CarriesTheVerifiedClientIdAndDropsAForgedOne) {
  auto app = h1_endpoint();
  ASSERT_TRUE(app.ok());
  auto b = start_server_pod(app.endpoint());
  ASSERT_TRUE(b);
  auto a = start_client_pod(b->inbound_endpoint(), id("voting"));
  ASSERT_TRUE(a);
  const std::string url = base_url(a->outbound_endpoint());
  const std::string expected = "weft-client-id: " + id("web");

  for (const auto& extra : std::vector<std::vector<std::string>>{
           {}, {"-H", "weft-client-id: forged"}, {"-H", "Weft-Client-Id: " + id("voting")}}) {
    const auto r = curl_reply(extra, url + "/headers");
    ASSERT_EQ(r.status, 200) << r.error << r.head << r.body;
    const auto seen = lowercase(r.body);
    EXPECT_EQ(count_of(seen, "weft-client-id:"), 1u) << r.body;
    EXPECT_NE(seen.find(expected), std::string::npos) << r.body;
    EXPECT_EQ(seen.find("forged"), std::string::npos) << r.body;
    EXPECT_EQ(seen.find(id("voting")), std::string::npos) << r.body;
  }

  // A body both ways, through the same mesh hop.
  const std::string body = random_bytes(1024 * 1024, 7);
  TempFile upload(body);
  const auto r = curl_reply({"--data-binary", "@" + upload.path()}, url + "/sha256");
  ASSERT_EQ(r.status, 200) << r.error << r.head;
  EXPECT_EQ(r.body, fmt::format("{} {}\n", body.size(), sha256_hex(body)));
  const auto down = curl_reply({}, url + "/bytes/1000000");
  ASSERT_EQ(down.status, 200) << down.error << down.head;
  EXPECT_EQ(down.body.size(), 1000000u);
}

TEST_F(Mtls, Http2CarriesTheVerifiedClientIdAndDropsAForgedOne) {
  H2TestServer app;
  auto b = start_server_pod(app.endpoint());
  ASSERT_TRUE(b);
  auto a = start_client_pod(b->inbound_endpoint(), id("voting"));
  ASSERT_TRUE(a);

  const auto r = curl_h2({"-H", "weft-client-id: forged", "-w", "\n%{http_version} %{http_code}"},
                         h2_url(a->outbound_endpoint(), "/headers"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.ends_with("\n2 200")) << r.out;
  EXPECT_EQ(count_of(r.out, "weft-client-id:"), 1u) << r.out;
  EXPECT_NE(r.out.find("weft-client-id: " + id("web") + "\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("forged"), std::string::npos) << r.out;

  const auto big = curl_h2({}, h2_url(a->outbound_endpoint(), "/size/1000000"));
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_EQ(sha256_hex(big.out), sha256_hex(pattern_bytes(1000000)));

  const auto load =
      run_h2load({"-n", "400", "-c", "4", "-m", "10", h2_url(a->outbound_endpoint(), "/size/100")});
  EXPECT_TRUE(load.clean()) << load.output;
  EXPECT_TRUE(wait_for_metric(*b, "request_total",
                              {{"direction", "inbound"}, {"tls", "true"}, {"client_id", id("web")}},
                              402))
      << dump_metric(*b, "request_total");
}

TEST_F(Mtls, GrpcThroughBothProxies) {
  if (const auto why = missing_grpc(); !why.empty()) GTEST_SKIP() << why;
  GrpcServer server;
  ASSERT_TRUE(server.ready()) << server.log();
  auto b = start_server_pod(server.endpoint());
  ASSERT_TRUE(b);
  auto a = start_client_pod(b->inbound_endpoint(), id("voting"));
  ASSERT_TRUE(a);
  const auto run = run_client(a->outbound_endpoint());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* name :
       {"unary", "server_stream", "client_stream", "bidi", "large_unary", "large_server_stream",
        "large_client_stream", "large_bidi", "metadata", "concurrent_unary", "deadline",
        "status_not_found", "status_internal", "status_unavailable", "early_status"}) {
    EXPECT_TRUE(case_ok(run, name));
  }
  EXPECT_TRUE(wait_for_metric_at_least(
      *b, "response_total",
      {{"direction", "inbound"}, {"tls", "true"}, {"client_id", id("web")}, {"grpc_status", "0"}},
      29));
  EXPECT_TRUE(wait_for_metric_at_least(*a, "response_total",
                                       {{"direction", "outbound"},
                                        {"tls", "true"},
                                        {"server_id", id("voting")},
                                        {"grpc_status", "0"}},
                                       29));
}

TEST_F(Mtls, MetricsNameThePeerOnBothSides) {
  auto app = h1_endpoint();
  ASSERT_TRUE(app.ok());
  auto b = start_server_pod(app.endpoint());
  ASSERT_TRUE(b);
  auto a = start_client_pod(b->inbound_endpoint(), id("voting"));
  ASSERT_TRUE(a);
  const auto r = curl_reply({}, base_url(a->outbound_endpoint()) + "/status/200");
  ASSERT_EQ(r.status, 200) << r.error;

  const Labels inbound_tls = {{"direction", "inbound"}, {"tls", "true"}, {"client_id", id("web")}};
  const Labels outbound_tls = {
      {"direction", "outbound"}, {"tls", "true"}, {"server_id", id("voting")}};
  for (const char* name : {"request_total", "response_total"}) {
    EXPECT_TRUE(wait_for_metric(*b, name, inbound_tls, 1)) << dump_metric(*b, name);
    EXPECT_TRUE(wait_for_metric(*a, name, outbound_tls, 1)) << dump_metric(*a, name);
  }
  auto src = inbound_tls;
  src["peer"] = "src";
  EXPECT_TRUE(wait_for_metric(*b, "tcp_open_total", src, 1)) << dump_metric(*b, "tcp_open_total");
  auto dst = outbound_tls;
  dst["peer"] = "dst";
  EXPECT_TRUE(wait_for_metric(*a, "tcp_open_total", dst, 1)) << dump_metric(*a, "tcp_open_total");
  // Nothing on B's inbound was counted as plaintext, and A's request was not counted twice.
  const auto b_text = b->registry().render();
  EXPECT_EQ(metric_value(b_text, "request_total", {{"direction", "inbound"}}), 1)
      << dump_metric(*b, "request_total");
  EXPECT_EQ(metric_value(b_text, "tcp_open_total",
                         {{"direction", "inbound"}, {"peer", "src"}, {"tls", "no_identity"}}),
            0)
      << dump_metric(*b, "tcp_open_total");

  // The identity families: one good load each, expiring within the certificate's 24 h.
  for (const auto* proxy : {a.get(), b.get()}) {
    const auto text = proxy->registry().render();
    EXPECT_EQ(metric_value(text, "identity_cert_refresh_total", {{"result", "ok"}}), 1);
    EXPECT_EQ(metric_value(text, "identity_cert_refresh_total", {{"result", "error"}}), 0);
    const double expiry = metric_value(text, "identity_cert_expiration_timestamp_seconds");
    EXPECT_GT(expiry, now_seconds());
    EXPECT_LE(expiry, now_seconds() + 24 * 3600 + 60);
  }
}

TEST_F(Mtls, ReadyWaitsForTheIdentityFiles) {
  TestServer app(ServerKind::echo);
  auto config = loopback_config();
  config.identity_dir = pki_.root() + "/later";
  auto b = start_proxy_to(app.endpoint(), config);
  int status = 0;
  EXPECT_EQ(http_get(b->admin_endpoint(), "/ready", &status), "not ready\n");
  EXPECT_EQ(status, 503);
  auto text = b->registry().render();
  EXPECT_EQ(metric_value(text, "identity_cert_refresh_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(metric_value(text, "identity_cert_expiration_timestamp_seconds"), 0);

  pki_.issue("later", kNs, "voting");
  EXPECT_TRUE(wait_for_ready(*b, 200));
  EXPECT_EQ(http_get(b->admin_endpoint(), "/ready", &status), "ready\n");
  text = b->registry().render();
  EXPECT_EQ(metric_value(text, "identity_cert_refresh_total", {{"result", "ok"}}), 1);
  EXPECT_GT(metric_value(text, "identity_cert_expiration_timestamp_seconds"), now_seconds());

  // Now meshed traffic gets through.
  auto a = start_client_pod(b->inbound_endpoint(), id("voting"), /*opaque=*/true);
  ASSERT_TRUE(a);
  Client c(a->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("ping\n"));
  EXPECT_EQ(c.read_exactly(5), "ping\n");
}

TEST_F(Mtls, AnotherServerNamePassesUntouchedToTheApplicationsOwnTls) {
  if (!have_program("openssl")) GTEST_SKIP() << "the openssl program is not installed";
  const auto app_id = make_self_signed("app.example");
  TempFile cert(app_id.cert_pem);
  const std::string key_path = cert.dir() + "/app.key";
  put_file(key_path, app_id.key_pem);
  // The application terminates TLS itself: s_server echoes each line reversed, one connection.
  OpensslServer app({"-cert", cert.path(), "-key", key_path, "-tls1_3", "-naccept", "1", "-rev"});
  ASSERT_TRUE(app.ok()) << app.log();
  auto b = start_server_pod(app.endpoint());
  ASSERT_TRUE(b);

  const auto r =
      run_s_client(b->inbound_endpoint(),
                   {"-servername", "app.example", "-CAfile", cert.path(), "-verify_return_error",
                    "-verify_hostname", "app.example", "-tls1_3", "-brief", "-ign_eof"},
                   "hello weft\nCLOSE\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "tfew olleh\n") << r.err;
  // The client verified the application's own certificate, not one of B's.
  EXPECT_NE(r.err.find("Verification: OK"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Peer certificate: CN = app.example"), std::string::npos) << r.err;
  EXPECT_TRUE(app.process().wait(10s)) << app.log();

  EXPECT_TRUE(wait_for_metric(*b, "tcp_open_total",
                              {{"direction", "inbound"}, {"peer", "src"}, {"tls", "opaque"}}, 1))
      << dump_metric(*b, "tcp_open_total");
  EXPECT_EQ(metric_value(b->registry().render(), "tcp_open_total", {{"tls", "true"}}), 0)
      << dump_metric(*b, "tcp_open_total");
}

}  // namespace
}  // namespace weft::test
