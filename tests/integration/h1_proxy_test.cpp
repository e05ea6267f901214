// HTTP/1.1 through the proxy with curl against a real HTTP/1.1 endpoint (tests/support/
// h1_server.py): keep-alive, chunked and Content-Length bodies both ways checked by digest,
// Expect: 100-continue, HEAD and body-less statuses, HTTP/1.0 on either side, hop-by-hop fields.
#include <gtest/gtest.h>

#include <fstream>

#include "support/h1_client.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

// The endpoint's /bytes/N pattern.
std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 256);
  return out;
}

// A file of `n` pseudo-random bytes for uploads; returns its path.
std::string write_upload(std::size_t n, std::string& content) {
  content.resize(n);
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (auto& c : content) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  const std::string path = "/tmp/weft-h1-upload-" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

class H1Proxy : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(endpoint_.ok()) << "h1_server.py did not start";
    proxy_ = start_proxy_to(endpoint_.endpoint());
    url_ = base_url(proxy_->outbound_endpoint());
  }
  PyServer endpoint_ = h1_endpoint();
  std::unique_ptr<app::Proxy> proxy_;
  std::string url_;
};

TEST_F(H1Proxy, KeepAliveServesSeveralUrlsOnOneClientConnection) {
  const auto r = curl({"-v", url_ + "/bytes/10", url_ + "/status/204", url_ + "/bytes/3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, pattern(10) + pattern(3));
  EXPECT_NE(r.err.find("Re-using existing connection"), std::string::npos) << r.err;
  EXPECT_TRUE(wait_for_metric(*proxy_, "tcp_open_total", {{"peer", "src"}}, 1));
}

TEST_F(H1Proxy, LargeDownloadsArriveIntactWithContentLengthAndChunked) {
  const std::size_t n = 20 * 1000 * 1000;
  const auto expected = sha256_hex(pattern(n));
  auto r = curl({url_ + "/bytes/" + std::to_string(n)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sha256_hex(r.out), expected);
  r = curl({"-D", "/dev/stderr", url_ + "/bytes/" + std::to_string(n) + "?chunked=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("transfer-encoding: chunked"), std::string::npos) << r.err;
  EXPECT_EQ(sha256_hex(r.out), expected);
}

TEST_F(H1Proxy, LargeUploadsArriveIntactWithContentLengthAndChunked) {
  std::string content;
  const auto path = write_upload(20 * 1000 * 1000, content);
  const auto expected = std::to_string(content.size()) + " " + sha256_hex(content) + "\n";
  auto r = curl({url_ + "/sha256", "--data-binary", "@" + path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
  r = curl({url_ + "/sha256", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
  ::unlink(path.c_str());
}

TEST_F(H1Proxy, ExpectContinueRelaysTheContinueThenTheBody) {
  std::string content;
  const auto path = write_upload(3 * 1000 * 1000, content);
  // --expect100-timeout far above the test's run time: without the relayed 100, curl would wait.
  auto r = curl({"-v", "--expect100-timeout", "60", url_ + "/sha256", "-H", "Expect: 100-continue",
                 "--data-binary", "@" + path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("< HTTP/1.1 100 Continue"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, std::to_string(content.size()) + " " + sha256_hex(content) + "\n");
  // An endpoint that refuses at once: the final answer reaches the client, which never sends
  // its body, and the exchange ends cleanly.
  r = curl({"-v", "--expect100-timeout", "60", url_ + "/reject", "-H", "Expect: 100-continue",
            "--data-binary", "@" + path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("< HTTP/1.1 417"), std::string::npos) << r.err;
  ::unlink(path.c_str());
}

TEST_F(H1Proxy, HeadAndBodylessStatusesHaveNoBody) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send_all("HEAD /bytes/1000 HTTP/1.1\r\nHost: a\r\n\r\n"
                 "GET /status/204 HTTP/1.1\r\nHost: a\r\n\r\n"
                 "GET /status/304 HTTP/1.1\r\nHost: a\r\n\r\n"
                 "HEAD /bytes/7?chunked=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                 "GET /bytes/4 HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string pending;
  auto head = read_response(c, pending, true);
  ASSERT_TRUE(head.ok);
  EXPECT_EQ(head.status, 200u);
  EXPECT_NE(head.head.find("Content-Length: 1000"), std::string::npos) << head.head;
  EXPECT_EQ(read_response(c, pending).status, 204u);
  EXPECT_EQ(read_response(c, pending).status, 304u);
  EXPECT_EQ(read_response(c, pending, true).status, 200u);
  const auto last = read_response(c, pending);
  EXPECT_EQ(last.body, pattern(4));  // nothing of a body-less response leaked into it
}

TEST_F(H1Proxy, TrailerFieldsPassThroughBothWays) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all(
      "POST /echo-trailers HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Trailer: x-client-sum\r\n\r\n5\r\nhello\r\n0\r\nx-client-sum: 42\r\n\r\n"
      "GET /trailers HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string pending;
  const auto echoed = read_response(c, pending);
  ASSERT_TRUE(echoed.ok);
  EXPECT_EQ(echoed.body, "5\n");
  EXPECT_EQ(echoed.trailers,
            "x-client-sum: 42\r\n"
            "x-sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  // The endpoint's trailers reach the client, minus the fields no trailer may carry, and the
  // Trailer field announcing them passes too.
  const auto r = read_response(c, pending);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.trailers, "grpc-status: 0\r\ngrpc-message: fine");
  EXPECT_NE(r.head.find("Trailer: grpc-status"), std::string::npos) << r.head;
}

TEST_F(H1Proxy, Http10ClientGetsTheBodyWithoutTrailers) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("GET /trailers HTTP/1.0\r\n\r\n"));
  ReadEnd end{};
  const auto all = c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);
  EXPECT_TRUE(all.ends_with("\r\n\r\nok\n")) << all;
}

TEST_F(H1Proxy, Http10ClientGetsAChunkedResponseCloseDelimited) {
  const auto r = curl({"-0", "-v", url_ + "/bytes/25000?chunked=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, pattern(25000));
  EXPECT_EQ(r.err.find("transfer-encoding"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("connection: close"), std::string::npos) << r.err;
}

TEST_F(H1Proxy, Http10ClientKeepAliveWithContentLength) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("GET /bytes/5 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string pending;
  auto r = read_response(c, pending);
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.head.find("connection: keep-alive"), std::string::npos) << r.head;
  ASSERT_TRUE(c.send_all("GET /bytes/6 HTTP/1.0\r\n\r\n"));
  r = read_response(c, pending);
  EXPECT_EQ(r.body, pattern(6));
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);  // 1.0 without keep-alive: closed after the response
}

TEST_F(H1Proxy, Http10AndCloseDelimitedEndpointResponsesAreChunkedForHttp11Clients) {
  const auto r = curl({"-v", url_ + "/http10", url_ + "/close-delimited", url_ + "/bytes/2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "old-style body\n" + pattern(100000) + pattern(2));
  // The client's connection survives the endpoint's closes.
  EXPECT_TRUE(wait_for_metric(*proxy_, "tcp_open_total", {{"peer", "src"}}, 1));
}

TEST_F(H1Proxy, HopByHopFieldsAreNotForwarded) {
  const auto r = curl({url_ + "/headers", "-H", "Connection: keep-alive, X-Secret", "-H",
                       "X-Secret: 1", "-H", "Keep-Alive: timeout=5", "-H", "X-End: 2", "-H",
                       "Proxy-Connection: keep-alive", "-H", "TE: trailers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("X-End: 2"), std::string::npos) << r.out;
  for (const char* dropped : {"X-Secret", "Keep-Alive", "Proxy-Connection", "TE:"}) {
    EXPECT_EQ(r.out.find(dropped), std::string::npos) << dropped << " in\n" << r.out;
  }
}

}  // namespace
}  // namespace weft::test
