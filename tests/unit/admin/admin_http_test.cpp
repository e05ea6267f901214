// Unit tests for the admin server's HTTP head parser and routes (weft::admin). They live here,
// beside the metrics tests, until tests/unit/admin/ exists.
#include <gtest/gtest.h>

#include "weft/admin/http.hpp"
#include "weft/admin/routes.hpp"

namespace weft::admin {
namespace {

TEST(AdminHttp, ParsesAGetWithHeaders) {
  const std::string head =
      "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:4191\r\nAccept: */*\r\n\r\nGET /live";
  const ParseResult r = parse_request_head(head);
  ASSERT_EQ(r.status, ParseStatus::complete);
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.path, "/metrics");
  EXPECT_EQ(r.request.query, "x=1");
  EXPECT_EQ(r.request.version_minor, 1);
  EXPECT_TRUE(r.request.keep_alive);
  EXPECT_FALSE(r.request.content_length.has_value());
  EXPECT_EQ(r.request.head_size, head.find("GET /live"));
}

TEST(AdminHttp, NeedsMoreUntilTheEmptyLine) {
  const std::string head = "GET /live HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t n = 0; n < head.size(); ++n) {
    EXPECT_EQ(parse_request_head(std::string_view(head).substr(0, n)).status,
              ParseStatus::need_more)
        << n;
  }
  EXPECT_EQ(parse_request_head(head).status, ParseStatus::complete);
}

TEST(AdminHttp, ConnectionSemantics) {
  EXPECT_FALSE(
      parse_request_head("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(
      parse_request_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(
      parse_request_head("GET / HTTP/1.1\r\nconnection: te, close\r\n\r\n").request.keep_alive);
}

TEST(AdminHttp, BodyFraming) {
  auto r = parse_request_head("POST /live HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::complete);
  EXPECT_EQ(r.request.content_length, 12u);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                .status,
            ParseStatus::malformed);
  EXPECT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").status,
            ParseStatus::malformed);
  EXPECT_TRUE(
      parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").request.chunked);
}

TEST(AdminHttp, AcceptsBareLfLeadingEmptyLinesAndAbsoluteForm) {
  auto r = parse_request_head("\r\nGET http://localhost:4191/ready?z HTTP/1.1\nHost: a\n\n");
  ASSERT_EQ(r.status, ParseStatus::complete);
  EXPECT_EQ(r.request.path, "/ready");
  EXPECT_EQ(r.request.query, "z");
}

TEST(AdminHttp, RejectsMalformedHeads) {
  for (const char* bad :
       {"GET /\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "PRI * HTTP/2.0\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n", "GET noslash HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n", "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
        "\x16\x03\x01\x02\x05\n\n"}) {
    EXPECT_EQ(parse_request_head(bad).status, ParseStatus::malformed) << bad;
  }
}

TEST(AdminHttp, HeadsOverTheLimitAreTooLarge) {
  std::string head = "GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a');
  EXPECT_EQ(parse_request_head(head).status, ParseStatus::too_large);
  EXPECT_EQ(parse_request_head(head + "\r\n\r\n").status, ParseStatus::too_large);
  EXPECT_EQ(parse_request_head(std::string(100, 'G'), 64).status, ParseStatus::too_large);
}

TEST(AdminHttp, SerializesResponseHeads) {
  Response r;
  r.status = 405;
  r.allow = "GET, HEAD";
  r.body = "no\n";
  EXPECT_EQ(serialize_head(r, ConnectionHeader::close),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 3\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n");
  r = Response{};
  EXPECT_EQ(serialize_head(r, ConnectionHeader::keep_alive),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n"
            "Connection: keep-alive\r\n\r\n");
}

Response route(const char* head, bool ready) {
  static const metrics::Registry registry(1);
  const ParseResult parsed = parse_request_head(head);
  EXPECT_EQ(parsed.status, ParseStatus::complete) << head;
  return handle_request(parsed.request, registry, ready);
}

TEST(AdminRoutes, ProbesAndMetrics) {
  EXPECT_EQ(route("GET /live HTTP/1.1\r\n\r\n", false).body, "live\n");
  EXPECT_EQ(route("POST /live HTTP/1.1\r\n\r\n", false).status, 200);
  EXPECT_EQ(route("GET /ready HTTP/1.1\r\n\r\n", false).status, 503);
  EXPECT_EQ(route("GET /ready HTTP/1.1\r\n\r\n", false).body, "not ready\n");
  EXPECT_EQ(route("GET /ready HTTP/1.1\r\n\r\n", true).status, 200);
  EXPECT_EQ(route("GET /ready HTTP/1.1\r\n\r\n", true).body, "ready\n");
  const Response m = route("GET /metrics HTTP/1.1\r\n\r\n", false);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("# TYPE tcp_open_total counter\n"), std::string::npos);
  EXPECT_EQ(route("HEAD /metrics HTTP/1.1\r\n\r\n", false).status, 200);
  const Response post = route("POST /metrics HTTP/1.1\r\n\r\n", false);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(route("GET /nope HTTP/1.1\r\n\r\n", true).status, 404);
  EXPECT_EQ(route("GET /live/x HTTP/1.1\r\n\r\n", true).status, 404);
}

}  // namespace
}  // namespace weft::admin
