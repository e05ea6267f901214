// Every way an mTLS connection must fail, with real peers: the client pod's proxy (A) meets a
// server whose certificate chains to another trust anchor, has expired, or names another
// workload than the destination table says, and answers 502 with weft-proxy-error (a reset for
// opaque TCP) while nothing reaches the application; the server pod's proxy (B) refuses plaintext
// clients and TLS clients without a verified certificate on require-identity ports and under the
// all-authenticated policy, and still serves the mesh there.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "support/client.hpp"
#include "support/h1_client.hpp"
#include "support/mesh_fixture.hpp"
#include "support/openssl_tools.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;

/// The proxy's answer to a request it could not forward for a TLS failure: 502 with a
/// weft-proxy-error field that says so.
testing::AssertionResult is_proxy_502(const HttpReply& r) {
  if (r.status != 502) {
    return testing::AssertionFailure() << "status " << r.status << " " << r.error << "\n"
                                       << r.head << "\n"
                                       << r.body;
  }
  if (!r.has_header("weft-proxy-error")) {
    return testing::AssertionFailure() << "no weft-proxy-error in\n" << r.head;
  }
  if (lowercase(r.head).find("\nweft-proxy-error: tls error") == std::string::npos) {
    return testing::AssertionFailure() << "not a TLS error:\n" << r.head;
  }
  return testing::AssertionSuccess();
}

/// Some sample of `name` with `labels` has a non-empty `label`.
testing::AssertionResult has_labelled_sample(const app::Proxy& proxy, const std::string& name,
                                             const std::map<std::string, std::string>& labels,
                                             const std::string& label) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto samples = metrics::parse_text(proxy.registry().render());
    if (samples) {
      for (const auto& s : *samples) {
        bool match = s.name == name && s.value > 0;
        for (const auto& [k, v] : labels) match = match && s.label(k) == std::string_view(v);
        const auto value = s.label(label);
        if (match && value && !value->empty()) return testing::AssertionSuccess();
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  return testing::AssertionFailure() << "no " << name << " with a " << label << " label\n"
                                     << dump_metric(proxy, name);
}

/// Waits until the echo application has received `text`.
testing::AssertionResult wait_for_received(const TestServer& app, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (app.received().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return testing::AssertionFailure() << "the application received: " << app.received();
    }
    std::this_thread::sleep_for(10ms);
  }
  return testing::AssertionSuccess();
}

class MtlsReject : public MeshTest {
 protected:
  /// `dir`/tls.crt's intermediates in `dir`/chain.pem.
  static std::string chain_of(const std::string& dir) {
    return write_intermediates(dir + "/tls.crt", dir + "/chain.pem");
  }

  /// openssl s_server with `dir`'s certificate; `www`: it answers HTTP GETs with a status page,
  /// otherwise it prints what it receives, and "CIPHER is ..." for each handshake that completed.
  static std::unique_ptr<OpensslServer> tls_server(const std::string& dir, bool www) {
    std::vector<std::string> args = {"-cert",       dir + "/tls.crt", "-key",   dir + "/tls.key",
                                     "-cert_chain", chain_of(dir),    "-tls1_3"};
    if (www) args.push_back("-www");
    return std::make_unique<OpensslServer>(args);
  }

  /// A (opaque service) reaches the echo application through `b` with mTLS.
  void expect_mesh_works(const app::Proxy& b, const TestServer& app) {
    auto a = start_client_pod(b.inbound_endpoint(), id("voting"), /*opaque=*/true);
    ASSERT_TRUE(a);
    const auto before = app.accepted();
    Client c(a->outbound_endpoint());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send_all("meshed\n"));
    EXPECT_EQ(c.read_exactly(7), "meshed\n");
    EXPECT_EQ(app.accepted(), before + 1);
  }

  /// Plaintext straight at `b`'s inbound listener is refused: curl and a raw client get a close
  /// or a reset with no answer, and the application accepts nothing.
  void expect_plaintext_refused(const app::Proxy& b, const TestServer& app) {
    const auto before = app.accepted();
    const auto r = curl_reply({}, base_url(b.inbound_endpoint()) + "/plain");
    EXPECT_EQ(r.status, 0) << r.head << r.body;
    Client c(b.inbound_endpoint());
    ASSERT_TRUE(c.connected());
    c.send_all("plaintext marker\n");  // may fail once the proxy has reset the connection
    ReadEnd end{};
    EXPECT_EQ(c.read_to_end(end), "");
    EXPECT_NE(end, ReadEnd::timeout);
    EXPECT_EQ(app.accepted(), before);
    EXPECT_EQ(app.received().find("marker"), std::string::npos) << app.received();
  }

  /// TLS for `b`'s own server name without a client certificate, and with one from another trust
  /// anchor, is refused: the marker never comes back and the application accepts nothing. The
  /// control: the same s_client with web's certificate gets its bytes to the application.
  void expect_unverified_tls_refused(const app::Proxy& b, const TestServer& app) {
    const std::vector<std::string> common = {"-servername",
                                             pki_.server_name(kNs, "voting"),
                                             "-CAfile",
                                             voting_dir_ + "/ca.crt",
                                             "-verify_return_error",
                                             "-tls1_3",
                                             "-brief"};
    auto with_web = common;
    with_web.insert(with_web.end(), {"-cert", web_dir_ + "/tls.crt", "-key", web_dir_ + "/tls.key",
                                     "-cert_chain", chain_of(web_dir_)});
    // s_client ends at the end of its input; the proxy forwards what it read before the close.
    const auto verified = run_s_client(b.inbound_endpoint(), with_web, "verified client\n");
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_TRUE(wait_for_received(app, "verified client\n")) << verified.err;
    const auto before = app.accepted();

    auto refused = common;
    refused.push_back("-ign_eof");  // wait for the proxy's answer
    const auto anonymous = run_s_client(b.inbound_endpoint(), refused, "anonymous marker\n");
    EXPECT_EQ(anonymous.out.find("marker"), std::string::npos) << anonymous.out;
    EXPECT_NE(anonymous.exit_code, -1) << "s_client was not refused: " << anonymous.err;

    Pki foreign;
    const auto stranger = foreign.issue("stranger", kNs, "web");
    auto args = refused;
    args.insert(args.end(), {"-cert", stranger + "/tls.crt", "-key", stranger + "/tls.key",
                             "-cert_chain", chain_of(stranger)});
    const auto foreign_client = run_s_client(b.inbound_endpoint(), args, "stranger marker\n");
    EXPECT_EQ(foreign_client.out.find("marker"), std::string::npos) << foreign_client.out;
    EXPECT_NE(foreign_client.exit_code, -1) << "s_client was not refused: " << foreign_client.err;

    EXPECT_EQ(app.accepted(), before);
    EXPECT_EQ(app.received().find("marker"), std::string::npos) << app.received();
  }
};

TEST_F(MtlsReject, ServerFromAnotherTrustAnchor) {
  Pki foreign;
  const auto foreign_voting = foreign.issue("voting", kNs, "voting");
  TestServer app(ServerKind::echo);
  auto b = start_server_pod(app.endpoint(), loopback_config(), foreign_voting);
  ASSERT_TRUE(b);

  auto a = start_client_pod(b->inbound_endpoint(), id("voting"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(is_proxy_502(curl_reply({}, base_url(a->outbound_endpoint()) + "/")));
  EXPECT_TRUE(wait_for_metric_at_least(*a, "outbound_http_errors_total", {{"error", "tls"}}, 1));

  // Opaque TCP: the client's connection is reset, with an errno-style close label.
  auto a_tcp = start_client_pod(b->inbound_endpoint(), id("voting"), /*opaque=*/true);
  ASSERT_TRUE(a_tcp);
  Client c(a_tcp->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  c.send_all("ping\n");
  ReadEnd end{};
  EXPECT_EQ(c.read_to_end(end), "");
  EXPECT_EQ(end, ReadEnd::reset);
  EXPECT_TRUE(has_labelled_sample(*a_tcp, "tcp_close_total", {{"direction", "outbound"}}, "errno"));

  EXPECT_EQ(app.accepted(), 0u);
  EXPECT_EQ(app.received(), "");
}

// The expired certificate is presented by openssl s_server: weft itself refuses to load an
// expired certificate (tests/integration/identity_test.cpp), so no weft proxy can offer one.
TEST_F(MtlsReject, ExpiredServerCertificate) {
  if (!have_program("openssl")) GTEST_SKIP() << "the openssl program is not installed";
  {
    // The control: the same server with voting's valid certificate is accepted.
    auto server = tls_server(voting_dir_, /*www=*/true);
    ASSERT_TRUE(server->ok()) << server->log();
    auto a = start_client_pod(server->endpoint(), id("voting"));
    ASSERT_TRUE(a);
    const auto r = curl_reply({}, base_url(a->outbound_endpoint()) + "/");
    EXPECT_EQ(r.status, 200) << r.error << r.head << r.body << server->log();
  }
  const auto expired =
      pki_.issue("voting-expired", kNs, "voting", {"--valid-from", "-48h", "--lifetime", "24h"});
  auto server = tls_server(expired, /*www=*/false);
  ASSERT_TRUE(server->ok()) << server->log();
  auto a = start_client_pod(server->endpoint(), id("voting"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(is_proxy_502(curl_reply({}, base_url(a->outbound_endpoint()) + "/expired")))
      << server->log();
  EXPECT_TRUE(wait_for_metric_at_least(*a, "outbound_http_errors_total", {{"error", "tls"}}, 1));
  // A aborted the handshake; the request never reached the server.
  EXPECT_EQ(server->log().find("CIPHER is"), std::string::npos) << server->log();
  EXPECT_EQ(server->log().find("/expired"), std::string::npos) << server->log();
}

TEST_F(MtlsReject, IdentityMismatch) {
  if (!have_program("openssl")) GTEST_SKIP() << "the openssl program is not installed";
  {
    // A server that presents voting's valid certificate whatever the server name: A asked for
    // emojivoto/other, so the URI SAN does not match.
    auto server = tls_server(voting_dir_, /*www=*/false);
    ASSERT_TRUE(server->ok()) << server->log();
    auto a = start_client_pod(server->endpoint(), id("other"));
    ASSERT_TRUE(a);
    EXPECT_TRUE(is_proxy_502(curl_reply({}, base_url(a->outbound_endpoint()) + "/mismatch")))
        << server->log();
    EXPECT_TRUE(wait_for_metric_at_least(*a, "outbound_http_errors_total", {{"error", "tls"}}, 1));
    EXPECT_EQ(server->log().find("/mismatch"), std::string::npos) << server->log();
  }
  {
    // B is voting; the table says other. A sends other's server name, which B does not own, so
    // B passes the connection through as opaque TLS (the application's own TLS, by design): the
    // application gets A's ClientHello, A's handshake fails, and the request never reaches the
    // application in plaintext.
    TestServer app(ServerKind::echo);
    auto b = start_server_pod(app.endpoint());
    ASSERT_TRUE(b);
    auto a = start_client_pod(b->inbound_endpoint(), id("other"));
    ASSERT_TRUE(a);
    EXPECT_TRUE(is_proxy_502(curl_reply({}, base_url(a->outbound_endpoint()) + "/mismatch")));
    EXPECT_EQ(app.received().find("/mismatch"), std::string::npos);
    EXPECT_TRUE(wait_for_metric_at_least(
        *b, "tcp_open_total", {{"direction", "inbound"}, {"peer", "src"}, {"tls", "opaque"}}, 1));
  }
}

// The name is part of verifying the peer: A aborts the handshake with the wrong workload (as
// rustls does for Linkerd), rather than finishing it, its certificate and Finished sent, and
// closing after.
TEST_F(MtlsReject, IdentityMismatchAbortsTheHandshake) {
  if (!have_program("openssl")) GTEST_SKIP() << "the openssl program is not installed";
  auto server = tls_server(voting_dir_, /*www=*/false);
  ASSERT_TRUE(server->ok()) << server->log();
  auto a = start_client_pod(server->endpoint(), id("other"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(is_proxy_502(curl_reply({}, base_url(a->outbound_endpoint()) + "/mismatch")));
  EXPECT_EQ(server->log().find("CIPHER is"), std::string::npos)
      << "A completed the handshake with a server that is not " << id("other") << "\n"
      << server->log();
}

TEST_F(MtlsReject, RequireIdentityPortRefusesPlaintextAndUnverifiedTls) {
  TestServer app(ServerKind::echo);
  auto config = loopback_config();
  config.inbound_require_identity_ports = {{app.endpoint().port(), app.endpoint().port()}};
  auto b = start_server_pod(app.endpoint(), config);
  ASSERT_TRUE(b);
  ASSERT_NO_FATAL_FAILURE(expect_mesh_works(*b, app));
  ASSERT_NO_FATAL_FAILURE(expect_plaintext_refused(*b, app));
  if (have_program("openssl")) expect_unverified_tls_refused(*b, app);
}

TEST_F(MtlsReject, AllAuthenticatedPolicyRefusesPlaintextAndUnverifiedTls) {
  TestServer app(ServerKind::echo);
  auto config = loopback_config();
  config.inbound_require_identity_all = true;
  auto b = start_server_pod(app.endpoint(), config);
  ASSERT_TRUE(b);
  ASSERT_NO_FATAL_FAILURE(expect_mesh_works(*b, app));
  ASSERT_NO_FATAL_FAILURE(expect_plaintext_refused(*b, app));
  if (have_program("openssl")) expect_unverified_tls_refused(*b, app);
}

TEST_F(MtlsReject, OtherPortsStillTakePlaintext) {
  TestServer app(ServerKind::echo);
  auto config = loopback_config();
  const std::uint16_t other = app.endpoint().port() == 65535 ? 1 : app.endpoint().port() + 1;
  config.inbound_require_identity_ports = {{other, other}};
  auto b = start_server_pod(app.endpoint(), config);
  ASSERT_TRUE(b);
  Client c(b->inbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("plain\n"));
  EXPECT_EQ(c.read_exactly(6), "plain\n");
  EXPECT_TRUE(wait_for_metric(*b, "tcp_open_total",
                              {{"direction", "inbound"}, {"peer", "src"}, {"tls", "no_identity"}},
                              1));
}

}  // namespace
}  // namespace weft::test
