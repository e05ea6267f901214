// HTTP/1 from raw sockets through the proxy: pipelined requests answered in order, and bad input
// answered as documented (400, 431, 501 and close) while another connection keeps working.
#include <gtest/gtest.h>

#include <thread>

#include "support/h1_client.hpp"
#include "support/proxy_fixture.hpp"
#include "support/py_servers.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

class H1Raw : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(endpoint_.ok()) << "h1_server.py did not start";
    proxy_ = start_proxy_to(endpoint_.endpoint());
    // A keep-alive connection that must keep working while others misbehave.
    bystander_ = std::make_unique<Client>(proxy_->outbound_endpoint());
    ASSERT_TRUE(bystander_->connected());
    expect_bystander_works();
  }

  void expect_bystander_works() {
    ASSERT_TRUE(bystander_->send_all("GET /bytes/3 HTTP/1.1\r\nHost: b\r\n\r\n"));
    std::string pending;
    const auto r = read_response(*bystander_, pending);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.body, std::string("\0\1\2", 3));
  }

  // Sends `request` on a fresh connection and returns the answer and how the stream ended.
  RawResponse answer_to(const std::string& request, ReadEnd* end_out = nullptr) {
    Client c(proxy_->outbound_endpoint());
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.send_all(request));
    std::string pending;
    auto r = read_response(c, pending);
    ReadEnd end{};
    c.read_to_end(end);
    if (end_out != nullptr) *end_out = end;
    return r;
  }

  PyServer endpoint_ = h1_endpoint();
  std::unique_ptr<app::Proxy> proxy_;
  std::unique_ptr<Client> bystander_;
};

TEST_F(H1Raw, PipelinedRequestsInOneWriteAreAnsweredInOrder) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send_all("GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n"
                 "POST /sha256 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                 "GET /status/404 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  std::string pending;
  const auto r1 = read_response(c, pending);
  const auto r2 = read_response(c, pending);
  const auto r3 = read_response(c, pending);
  EXPECT_EQ(r1.body, std::string(1, '\0'));
  EXPECT_EQ(r2.body, "5 " + sha256_hex("hello") + "\n");
  EXPECT_EQ(r3.status, 404u);
  ReadEnd end{};
  c.read_to_end(end);
  EXPECT_EQ(end, ReadEnd::eof);
  expect_bystander_works();
}

TEST_F(H1Raw, RequestsPipelinedAfterConnectionCloseDoNotTurnTheCloseIntoAReset) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("GET /bytes/2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                         "GET /bytes/3 HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string pending;
  const auto r = read_response(c, pending);
  EXPECT_EQ(r.body, std::string("\0\1", 2));
  EXPECT_NE(r.head.find("connection: close"), std::string::npos) << r.head;
  ReadEnd end{};
  EXPECT_EQ(pending + c.read_to_end(end), "");  // the second request is not answered
  EXPECT_EQ(end, ReadEnd::eof);
}

TEST_F(H1Raw, GarbageAfterAValidRequestLineIs400AndClose) {
  ReadEnd end{};
  const auto r = answer_to("GET / HTTP/1.1\r\nHost: a\r\n\x01\x02garbage\r\n\r\n", &end);
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.head.find("weft-proxy-error:"), std::string::npos) << r.head;
  EXPECT_NE(r.head.find("connection: close"), std::string::npos) << r.head;
  EXPECT_EQ(end, ReadEnd::eof);
  expect_bystander_works();
}

TEST_F(H1Raw, InvalidChunkSizeIs400) {
  EXPECT_EQ(answer_to("POST /sha256 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "zz\r\nhello\r\n0\r\n\r\n")
                .status,
            400u);
  expect_bystander_works();
}

TEST_F(H1Raw, InvalidChunkSizeMidStreamIs400) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send_all("POST /sha256 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n"));
  std::this_thread::sleep_for(50ms);  // the head and first chunk go to the endpoint first
  ASSERT_TRUE(c.send_all("-1\r\nxx\r\n"));
  std::string pending;
  EXPECT_EQ(read_response(c, pending).status, 400u);
  expect_bystander_works();
}

TEST_F(H1Raw, ContentLengthWithTransferEncodingIs400) {
  EXPECT_EQ(answer_to("POST /sha256 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .status,
            400u);
  EXPECT_EQ(answer_to("POST /sha256 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                      "Content-Length: 6\r\n\r\nhello!")
                .status,
            400u);
  expect_bystander_works();
}

TEST_F(H1Raw, UnsupportedTransferCodingIs501) {
  EXPECT_EQ(answer_to("POST /sha256 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
                      "\r\n0\r\n\r\n")
                .status,
            501u);
}

TEST_F(H1Raw, HeaderFloodIs431) {
  std::string flood = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (flood.size() < 200 * 1024) flood += "X-Flood: " + std::string(100, 'f') + "\r\n";
  flood += "\r\n";
  const auto r = answer_to(flood);
  EXPECT_EQ(r.status, 431u);
  EXPECT_NE(r.head.find("weft-proxy-error:"), std::string::npos) << r.head;
  expect_bystander_works();
}

TEST_F(H1Raw, ClientThatVanishesMidBodyDoesNotDisturbOthers) {
  {
    Client c(proxy_->outbound_endpoint());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send_all("POST /sha256 HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" +
                           std::string(1000, 'x')));
  }  // closed with 99,000 bytes missing
  expect_bystander_works();
  EXPECT_TRUE(wait_for_metric(*proxy_, "tcp_open_connections", {{"peer", "src"}}, 1));
}

TEST_F(H1Raw, SlowDripClientIsServedWhileOthersAreToo) {
  Client c(proxy_->outbound_endpoint());
  ASSERT_TRUE(c.connected());
  const std::string request = "GET /bytes/2 HTTP/1.1\r\nHost: drip\r\n\r\n";
  for (std::size_t i = 0; i < request.size(); ++i) {
    ASSERT_TRUE(c.send_all(request.substr(i, 1)));
    if (i % 8 == 0) expect_bystander_works();
    std::this_thread::sleep_for(5ms);
  }
  std::string pending;
  EXPECT_EQ(read_response(c, pending).body, std::string("\0\1", 2));
}

}  // namespace
}  // namespace weft::test
