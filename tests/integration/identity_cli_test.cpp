// `weft identity` as an operator runs it, checked by the real `openssl` program: the trust
// anchor -> issuer -> workload chain verifies, the leaf is an X509-SVID (URI SAN, no DNS SAN,
// CA:FALSE, EC P-256, PKCS#8 key with mode 0600), expired / not-yet-valid / foreign certificates
// fail, and openssl s_server and s_client complete a mutual TLS 1.3 handshake with the files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/process.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kWebId = "spiffe://cluster.local/ns/web/sa/default";
constexpr const char* kWebServerName = "default.web.serviceaccount.identity.cluster.local";
constexpr const char* kBotId = "spiffe://cluster.local/ns/vote/sa/bot";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The PEM blocks of a file, each with its BEGIN and END lines.
std::vector<std::string> pem_blocks(const std::string& text) {
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

unsigned file_mode(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class IdentityCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("openssl")) GTEST_SKIP() << "the openssl program is not installed";
    std::string tmpl = (fs::temp_directory_path() / "weft-identity-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!root_.empty()) fs::remove_all(root_, ignored);
  }

  std::string at(const std::string& relative) const { return (root_ / relative).string(); }

  /// `weft identity ARGS...`.
  static CommandResult weft(std::vector<std::string> args) {
    args.insert(args.begin(), {WEFT_CLI_BIN, "identity"});
    return run_command(args);
  }

  static CommandResult openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    return run_command(args);
  }

  /// A trust anchor in `ca` and an issuer under it in `issuer`.
  [[nodiscard]] testing::AssertionResult make_ca(const std::string& ca, const std::string& issuer) {
    const auto a = weft({"trust-anchor", "--dir", at(ca)});
    if (a.exit_code != 0) return testing::AssertionFailure() << "trust-anchor: " << a.err;
    const auto i = weft({"issuer", "--ca-dir", at(ca), "--dir", at(issuer)});
    if (i.exit_code != 0) return testing::AssertionFailure() << "issuer: " << i.err;
    return testing::AssertionSuccess();
  }

  /// A workload certificate for `id` from `issuer` into `dir`, with extra flags.
  [[nodiscard]] testing::AssertionResult issue(const std::string& issuer, const std::string& id,
                                               const std::string& dir,
                                               std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"issue", "--issuer-dir", at(issuer), "--id",
                                     id,      "--dir",        at(dir)};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = weft(args);
    if (r.exit_code != 0) return testing::AssertionFailure() << "issue: " << r.err;
    return testing::AssertionSuccess();
  }

  /// The first certificate of `dir`/tls.crt alone, in `dir`/leaf.pem, for `openssl verify`.
  std::string leaf_of(const std::string& dir) const {
    const auto blocks = pem_blocks(slurp(root_ / dir / "tls.crt"));
    const auto path = at(dir + "/leaf.pem");
    std::ofstream(path) << (blocks.empty() ? std::string() : blocks.front());
    return path;
  }

  /// `openssl verify -CAfile <ca> -untrusted <issuer>/issuer.crt <leaf>` with extra flags.
  CommandResult verify(const std::string& ca_file, const std::string& issuer,
                       const std::string& leaf, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"verify", "-CAfile", ca_file, "-untrusted",
                                     at(issuer + "/issuer.crt")};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(leaf);
    return openssl(args);
  }

  fs::path root_;
};

TEST_F(IdentityCli, ChainVerifiesWithTheOpensslProgram) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  const auto leaf = leaf_of("web");
  for (const auto& purpose : std::vector<std::vector<std::string>>{
           {}, {"-purpose", "sslserver"}, {"-purpose", "sslclient"}}) {
    const auto r = verify(at("web/ca.crt"), "issuer", leaf, purpose);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("leaf.pem: OK"), std::string::npos) << r.out;
  }
  // The issuer itself verifies against the anchor, and the files were copied, not remade.
  EXPECT_EQ(openssl({"verify", "-CAfile", at("ca/ca.crt"), at("issuer/issuer.crt")}).exit_code, 0);
  EXPECT_EQ(slurp(root_ / "web/ca.crt"), slurp(root_ / "ca/ca.crt"));
  EXPECT_EQ(slurp(root_ / "issuer/ca.crt"), slurp(root_ / "ca/ca.crt"));
}

TEST_F(IdentityCli, WorkloadCertificateIsAnX509Svid) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  // tls.crt: the leaf, then the issuer.
  const auto blocks = pem_blocks(slurp(root_ / "web/tls.crt"));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1], slurp(root_ / "issuer/issuer.crt"));

  const auto tls_crt = at("web/tls.crt");
  const auto san = openssl({"x509", "-in", tls_crt, "-noout", "-ext", "subjectAltName"});
  ASSERT_EQ(san.exit_code, 0) << san.err;
  EXPECT_NE(san.out.find(std::string("URI:") + kWebId), std::string::npos) << san.out;
  EXPECT_EQ(san.out.find("DNS:"), std::string::npos) << san.out;

  const auto ext = openssl(
      {"x509", "-in", tls_crt, "-noout", "-ext", "basicConstraints,keyUsage,extendedKeyUsage"});
  ASSERT_EQ(ext.exit_code, 0) << ext.err;
  EXPECT_NE(ext.out.find("Basic Constraints: critical\n    CA:FALSE"), std::string::npos)
      << ext.out;
  EXPECT_NE(ext.out.find("Key Usage: critical\n    Digital Signature\n"), std::string::npos)
      << ext.out;
  EXPECT_NE(ext.out.find("TLS Web Server Authentication, TLS Web Client Authentication"),
            std::string::npos)
      << ext.out;

  const auto subject = openssl({"x509", "-in", tls_crt, "-noout", "-subject"});
  EXPECT_NE(subject.out.find(kWebServerName), std::string::npos) << subject.out;
  // Valid now, and for less than a day (the default lifetime is 24h).
  EXPECT_EQ(openssl({"x509", "-in", tls_crt, "-noout", "-checkend", "0"}).exit_code, 0);
  EXPECT_NE(openssl({"x509", "-in", tls_crt, "-noout", "-checkend", "86400"}).exit_code, 0);

  // The key: PKCS#8, EC on prime256v1, the certificate's.
  const auto key_pem = slurp(root_ / "web/tls.key");
  EXPECT_TRUE(key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << key_pem;
  const auto key = openssl({"pkey", "-in", at("web/tls.key"), "-noout", "-text"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_NE(key.out.find("ASN1 OID: prime256v1"), std::string::npos) << key.out;
  const auto cert_pub = openssl({"x509", "-in", tls_crt, "-noout", "-pubkey"});
  const auto key_pub = openssl({"pkey", "-in", at("web/tls.key"), "-pubout"});
  EXPECT_EQ(cert_pub.out, key_pub.out);

  // Only the three files: no temporary file left behind by the atomic writes.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root_ / "web")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ca.crt", "tls.crt", "tls.key"}));
}

TEST_F(IdentityCli, CertificateAuthoritiesHaveCaConstraints) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  const auto anchor = openssl({"x509", "-in", at("ca/ca.crt"), "-noout", "-subject", "-issuer",
                               "-ext", "basicConstraints,keyUsage,subjectKeyIdentifier"});
  ASSERT_EQ(anchor.exit_code, 0) << anchor.err;
  EXPECT_NE(anchor.out.find("subject=CN = weft trust anchor cluster.local\n"
                            "issuer=CN = weft trust anchor cluster.local\n"),
            std::string::npos)
      << anchor.out;
  EXPECT_NE(anchor.out.find("Basic Constraints: critical\n    CA:TRUE\n"), std::string::npos)
      << anchor.out;
  EXPECT_NE(anchor.out.find("Key Usage: critical\n    Certificate Sign, CRL Sign"),
            std::string::npos)
      << anchor.out;
  EXPECT_NE(anchor.out.find("Subject Key Identifier"), std::string::npos) << anchor.out;
  const auto issuer = openssl({"x509", "-in", at("issuer/issuer.crt"), "-noout", "-ext",
                               "basicConstraints,authorityKeyIdentifier"});
  EXPECT_NE(issuer.out.find("CA:TRUE, pathlen:0"), std::string::npos) << issuer.out;
  EXPECT_NE(issuer.out.find("Authority Key Identifier"), std::string::npos) << issuer.out;
  for (const auto* path : {"ca/ca.crt", "issuer/issuer.crt"}) {
    const auto key = openssl({"x509", "-in", at(path), "-noout", "-text"});
    EXPECT_NE(key.out.find("ASN1 OID: prime256v1"), std::string::npos) << path;
  }
}

TEST_F(IdentityCli, KeysAreReadableByTheOwnerOnly) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  EXPECT_EQ(file_mode(root_ / "ca/ca.key"), 0600u);
  EXPECT_EQ(file_mode(root_ / "issuer/issuer.key"), 0600u);
  EXPECT_EQ(file_mode(root_ / "web/tls.key"), 0600u);
  EXPECT_EQ(file_mode(root_ / "web/tls.crt"), 0644u);
  EXPECT_EQ(file_mode(root_ / "web/ca.crt"), 0644u);
  // Issuing again (rotation) replaces the files and keeps the modes.
  const auto before = slurp(root_ / "web/tls.key");
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  EXPECT_NE(slurp(root_ / "web/tls.key"), before);
  EXPECT_EQ(file_mode(root_ / "web/tls.key"), 0600u);
}

TEST_F(IdentityCli, ExpiredAndNotYetValidCertificatesFailVerify) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "expired", {"--valid-from", "-48h", "--lifetime", "24h"}));
  ASSERT_TRUE(issue("issuer", kWebId, "future", {"--valid-from", "+1h"}));
  const auto expired = verify(at("ca/ca.crt"), "issuer", leaf_of("expired"));
  EXPECT_NE(expired.exit_code, 0);
  EXPECT_NE((expired.out + expired.err).find("certificate has expired"), std::string::npos)
      << expired.out << expired.err;
  const auto future = verify(at("ca/ca.crt"), "issuer", leaf_of("future"));
  EXPECT_NE(future.exit_code, 0);
  EXPECT_NE((future.out + future.err).find("certificate is not yet valid"), std::string::npos)
      << future.out << future.err;
  // The period is exactly what was asked for: 48h ago to 24h ago.
  EXPECT_EQ(openssl({"x509", "-in", at("expired/tls.crt"), "-noout", "-checkend", "0"}).exit_code,
            1);
  // show says so and exits 1.
  const auto show = weft({"show", "--dir", at("expired")});
  EXPECT_EQ(show.exit_code, 1);
  EXPECT_NE(show.out.find("chain:        FAILED"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("expired 1d"), std::string::npos) << show.out;
}

TEST_F(IdentityCli, CertificateFromAnotherTrustAnchorFailsVerify) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(make_ca("other-ca", "other-issuer"));
  ASSERT_TRUE(issue("other-issuer", kWebId, "foreign"));
  const auto r = verify(at("ca/ca.crt"), "other-issuer", leaf_of("foreign"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("unable to get local issuer certificate"), std::string::npos)
      << r.out << r.err;
  // Against its own anchor it is fine.
  EXPECT_EQ(verify(at("other-ca/ca.crt"), "other-issuer", leaf_of("foreign")).exit_code, 0);
}

TEST_F(IdentityCli, ShowPrintsTheIdentity) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  const auto r = weft({"show", "--dir", at("web")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const auto& line :
       {std::string("identity:     ") + kWebId + "\n",
        std::string("server name:  ") + kWebServerName + "\n",
        std::string("issuer:       CN=weft issuer cluster.local\n"),
        std::string("public key:   EC prime256v1\n"), std::string("(matches)\n"),
        std::string("chain:        ok, to CN=weft trust anchor cluster.local")}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << "want: " << line << "\n" << r.out;
  }
  // A key that is not the certificate's.
  fs::copy_file(root_ / "issuer/issuer.key", root_ / "web/tls.key",
                fs::copy_options::overwrite_existing);
  const auto mismatch = weft({"show", "--dir", at("web")});
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.out.find("DOES NOT MATCH"), std::string::npos) << mismatch.out;
}

TEST_F(IdentityCli, UsageAndFileErrors) {
  // Bad flags: 64, naming the flag.
  auto r = weft({"issue", "--issuer-dir", at("issuer"), "--dir", at("x"), "--id",
                 "spiffe://cluster.local/ns/web/sa/a.b"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("--id"), std::string::npos) << r.err;
  r = weft({"trust-anchor", "--dir", at("ca"), "--lifetime", "forever"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("--lifetime"), std::string::npos) << r.err;
  r = weft({"mint"});
  EXPECT_EQ(r.exit_code, 64);
  // Missing files: 1, naming the path.
  r = weft({"issue", "--issuer-dir", at("nowhere"), "--dir", at("x"), "--id", kWebId});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(at("nowhere/issuer.crt")), std::string::npos) << r.err;
  // A trust anchor is not replaced by accident.
  ASSERT_TRUE(make_ca("ca", "issuer"));
  const auto anchor = slurp(root_ / "ca/ca.crt");
  r = weft({"trust-anchor", "--dir", at("ca")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(at("ca/ca.key")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(root_ / "ca/ca.crt"), anchor);
  EXPECT_EQ(weft({"trust-anchor", "--dir", at("ca"), "--force"}).exit_code, 0);
  EXPECT_NE(slurp(root_ / "ca/ca.crt"), anchor);
  // An ID from another trust domain than the issuer's is a usage error.
  ASSERT_TRUE(make_ca("ca2", "issuer2"));
  r = weft({"issue", "--issuer-dir", at("issuer2"), "--dir", at("x"), "--id",
            "spiffe://example.org/ns/web/sa/default"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("trust domain 'example.org'"), std::string::npos) << r.err;
  // An issuer directory whose ca.crt is not its anchor.
  fs::copy_file(root_ / "ca/ca.crt", root_ / "issuer2/ca.crt",
                fs::copy_options::overwrite_existing);
  r = weft({"issue", "--issuer-dir", at("issuer2"), "--dir", at("x"), "--id", kWebId});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not chain to"), std::string::npos) << r.err;
}

/// `openssl s_server -rev` (echoes each line reversed) with `server`'s files, requiring a client
/// certificate that chains to its ca.crt; it serves one connection. Its stdout goes to the
/// captured stderr so that the test can read the port and what it verified.
class RevServer {
 public:
  RevServer(const std::string& server_dir, const std::string& issuer_crt)
      : process_({"sh",
                  "-c",
                  "exec \"$0\" \"$@\" 1>&2",
                  "openssl",
                  "s_server",
                  "-accept",
                  "127.0.0.1:0",
                  "-cert",
                  server_dir + "/tls.crt",
                  "-key",
                  server_dir + "/tls.key",
                  "-cert_chain",
                  issuer_crt,
                  "-CAfile",
                  server_dir + "/ca.crt",
                  "-Verify",
                  "1",
                  "-verify_return_error",
                  "-tls1_3",
                  "-naccept",
                  "1",
                  "-rev"},
                 {}) {
    const auto accept = process_.wait_for_log("ACCEPT 127.0.0.1:", 10s);
    port_ = accept ? *accept : "";
  }
  const std::string& port() const { return port_; }
  ChildProcess& process() { return process_; }

 private:
  ChildProcess process_;
  std::string port_;
};

/// `openssl s_client` to the server as `client_dir`'s identity (none when empty): sends "ping",
/// and CLOSE, which makes s_server end the connection.
CommandResult s_client(const std::string& port, const std::string& client_dir,
                       const std::string& ca_file, const std::string& issuer_crt) {
  std::vector<std::string> args = {"openssl",           "s_client",    "-connect",
                                   "127.0.0.1:" + port, "-servername", kWebServerName,
                                   "-CAfile",           ca_file,       "-verify_return_error",
                                   "-tls1_3",           "-brief",      "-ign_eof"};
  if (!client_dir.empty()) {
    args.insert(args.end(), {"-cert", client_dir + "/tls.crt", "-key", client_dir + "/tls.key",
                             "-cert_chain", issuer_crt});
  }
  return run_command(args, "ping\nCLOSE\n", 20s);
}

TEST_F(IdentityCli, MutualTlsHandshakeWithOpensslServerAndClient) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  ASSERT_TRUE(issue("issuer", kBotId, "bot"));
  // s_server sends its certificate and the -cert_chain file: the second block of tls.crt.
  const auto chain = pem_blocks(slurp(root_ / "web/tls.crt"));
  ASSERT_EQ(chain.size(), 2u);
  std::ofstream(at("chain.pem")) << chain[1];
  RevServer server(at("web"), at("chain.pem"));
  ASSERT_FALSE(server.port().empty()) << server.process().stderr_text();
  const auto client = s_client(server.port(), at("bot"), at("bot/ca.crt"), at("chain.pem"));
  EXPECT_EQ(client.exit_code, 0) << client.err;
  EXPECT_EQ(client.out, "gnip\n") << client.err;  // the round trip went through
  EXPECT_NE(client.err.find("Verification: OK"), std::string::npos) << client.err;
  EXPECT_NE(client.err.find("Peer certificate: CN = default.web.serviceaccount.identity"),
            std::string::npos)
      << client.err;
  ASSERT_TRUE(server.process().wait(10s));
  const auto log = server.process().stderr_text();
  EXPECT_NE(log.find("Peer certificate: CN = bot.vote.serviceaccount.identity.cluster.local"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("Verification: OK"), std::string::npos) << log;
}

TEST_F(IdentityCli, MutualTlsRejectsAForeignOrMissingClientCertificate) {
  ASSERT_TRUE(make_ca("ca", "issuer"));
  ASSERT_TRUE(make_ca("other-ca", "other-issuer"));
  ASSERT_TRUE(issue("issuer", kWebId, "web"));
  ASSERT_TRUE(issue("other-issuer", kBotId, "foreign"));
  {
    RevServer server(at("web"), at("issuer/issuer.crt"));
    ASSERT_FALSE(server.port().empty()) << server.process().stderr_text();
    const auto client =
        s_client(server.port(), at("foreign"), at("web/ca.crt"), at("other-issuer/issuer.crt"));
    EXPECT_NE(client.exit_code, 0);
    EXPECT_EQ(client.out.find("gnip"), std::string::npos) << client.out;
    EXPECT_NE(client.err.find("alert unknown ca"), std::string::npos) << client.err;
    ASSERT_TRUE(server.process().wait(10s));
    EXPECT_NE(server.process().stderr_text().find("unable to get local issuer certificate"),
              std::string::npos)
        << server.process().stderr_text();
  }
  {
    RevServer server(at("web"), at("issuer/issuer.crt"));
    ASSERT_FALSE(server.port().empty()) << server.process().stderr_text();
    const auto client = s_client(server.port(), "", at("web/ca.crt"), "");
    EXPECT_NE(client.exit_code, 0);
    EXPECT_EQ(client.out.find("gnip"), std::string::npos) << client.out;
    EXPECT_NE(client.err.find("alert certificate required"), std::string::npos) << client.err;
  }
}

}  // namespace
}  // namespace weft::test
