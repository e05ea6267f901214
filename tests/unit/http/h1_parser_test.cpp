#include "weft/http/h1_parser.hpp"

#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>

#include <string>
#include <vector>

#include "weft/http/headers.hpp"

namespace weft::http {
namespace {

// One parsed message, copied out of the callbacks.
struct Message {
  std::string method, target;
  unsigned status = 0, major = 0, minor = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false, expect_continue = false, upgrade = false, chunked = false;
  bool no_body = false, complete = false;
  std::optional<std::uint64_t> content_length;
  std::vector<std::string> hop_by_hop;
  std::vector<std::pair<std::string, std::string>> trailers;
};

class Recorder final : public H1Handler {
 public:
  void on_head(const MessageHead& h) override {
    Message m;
    m.method = h.method;
    m.target = h.target;
    m.status = h.status;
    m.major = h.version_major;
    m.minor = h.version_minor;
    for (const auto& f : h.headers) {
      m.headers.emplace_back(f.name, f.value);
      if (h.is_hop_by_hop(f.name)) m.hop_by_hop.emplace_back(f.name);
    }
    m.keep_alive = h.keep_alive;
    m.expect_continue = h.expect_continue;
    m.upgrade = h.upgrade;
    m.chunked = h.chunked;
    m.no_body = h.no_body;
    m.content_length = h.content_length;
    messages.push_back(std::move(m));
  }
  void on_body(std::span<const std::byte> b) override {
    messages.back().body.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void on_trailers(std::span<const Header> t) override {
    for (const auto& f : t) messages.back().trailers.emplace_back(f.name, f.value);
  }
  void on_message_complete() override { messages.back().complete = true; }

  std::vector<Message> messages;
};

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Feeds `s` in the given chunk boundaries (as separate reads), re-feeding what a pause left over,
// the way a connection loop would. Returns the first error, if any.
boost::system::error_code feed_all(H1Parser& p, std::string_view s,
                                   std::vector<std::size_t> cuts = {}) {
  cuts.push_back(s.size());
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    std::string_view read = s.substr(from, cut - from);
    from = cut;
    while (!read.empty()) {
      auto n = p.feed(bytes(read));
      if (!n) return n.error();
      if (*n == 0) return {};  // upgraded
      read.remove_prefix(*n);
    }
  }
  return {};
}

h1_error request_error(std::string_view s, H1Limits limits = {}) {
  Recorder r;
  H1Parser p(MessageKind::request, r, limits);
  const auto ec = feed_all(p, s);
  EXPECT_TRUE(ec) << "accepted: " << s;
  EXPECT_EQ(&ec.category(), &h1_category()) << ec.message();
  return static_cast<h1_error>(ec.value());
}

TEST(H1Parser, SimpleGetHead) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  const std::string_view req = "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
  auto n = p.feed(bytes(req));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, req.size());
  ASSERT_EQ(r.messages.size(), 1u);
  const auto& m = r.messages[0];
  EXPECT_EQ(m.method, "GET");
  EXPECT_EQ(m.target, "/a?b=c");
  EXPECT_EQ(m.major, 1u);
  EXPECT_EQ(m.minor, 1u);
  ASSERT_EQ(m.headers.size(), 2u);
  EXPECT_EQ(m.headers[0], (std::pair<std::string, std::string>{"Host", "x"}));
  EXPECT_EQ(m.headers[1], (std::pair<std::string, std::string>{"Accept", "*/*"}));
  EXPECT_TRUE(m.keep_alive);
  EXPECT_TRUE(m.complete);
  EXPECT_FALSE(p.in_message());
}

TEST(H1Parser, KeepAliveSequenceReusesParser) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  for (int i = 0; i < 3; ++i) {
    const std::string req = fmt::format("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", i);
    ASSERT_FALSE(feed_all(p, req));
  }
  ASSERT_FALSE(feed_all(p, "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n"));
  ASSERT_EQ(r.messages.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.messages[i].target, fmt::format("/{}", i));
    EXPECT_TRUE(r.messages[i].keep_alive);
  }
  EXPECT_FALSE(r.messages[3].keep_alive);
}

TEST(H1Parser, Http10KeepAliveRules) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  ASSERT_FALSE(feed_all(p, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  ASSERT_FALSE(feed_all(p, "GET /b HTTP/1.0\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].minor, 0u);
  EXPECT_TRUE(r.messages[0].keep_alive);
  EXPECT_FALSE(r.messages[1].keep_alive);
}

TEST(H1Parser, PipelinedRequestsComeOutOneAtATime) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  const std::string_view a = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  const std::string_view b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string both = std::string(a) + std::string(b);
  auto n = p.feed(bytes(both));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, a.size());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].target, "/a");
  EXPECT_EQ(r.messages[0].body, "abc");
  EXPECT_TRUE(r.messages[0].complete);
  n = p.feed(bytes(std::string_view(both).substr(*n)));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, b.size());
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].target, "/b");
  EXPECT_TRUE(r.messages[1].complete);
}

// Every split of a small message into two reads, and byte-at-a-time, gives the same message.
void expect_same_at_every_split(std::string_view req, std::string_view body, bool chunked) {
  for (std::size_t cut = 0; cut <= req.size(); ++cut) {
    Recorder r;
    H1Parser p(MessageKind::request, r);
    ASSERT_FALSE(feed_all(p, req, {cut})) << cut;
    ASSERT_EQ(r.messages.size(), 1u) << cut;
    EXPECT_EQ(r.messages[0].target, "/upload") << cut;
    EXPECT_EQ(r.messages[0].headers.back().second, chunked ? "chunked" : "5") << cut;
    EXPECT_EQ(r.messages[0].body, body) << cut;
    EXPECT_EQ(r.messages[0].chunked, chunked);
    EXPECT_TRUE(r.messages[0].complete) << cut;
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < req.size(); ++i) every.push_back(i);
  Recorder r;
  H1Parser p(MessageKind::request, r);
  ASSERT_FALSE(feed_all(p, req, every));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].body, body);
}

TEST(H1Parser, ContentLengthBodySplitAtEveryByte) {
  expect_same_at_every_split("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                             "hello", false);
}

TEST(H1Parser, ChunkedBodySplitAtEveryByte) {
  expect_same_at_every_split(
      "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nhel\r\n4;ext=1\r\nlo w\r\n0\r\n\r\n",
      "hello w", true);
}

TEST(H1Parser, TrailersAreBoundedButDoNotCountTheBody) {
  Recorder r;
  H1Parser p(MessageKind::request, r, H1Limits{.max_head_bytes = 120, .max_headers = 3});
  std::string req = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  req += fmt::format("1f4\r\n{}\r\n0\r\nX-Checksum: 1\r\n\r\n", std::string(500, 'b'));
  ASSERT_FALSE(feed_all(p, req));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].body.size(), 500u);
  EXPECT_TRUE(r.messages[0].complete);
  // Over the byte bound: 431.
  Recorder r2;
  H1Parser p2(MessageKind::request, r2, H1Limits{.max_head_bytes = 120, .max_headers = 3});
  EXPECT_EQ(feed_all(p2, fmt::format("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "0\r\nX-Big: {}\r\n\r\n",
                                     std::string(200, 'v'))),
            make_error_code(h1_error::header_too_large));
  // Too many trailer fields is 431 like too many header fields.
  ASSERT_EQ(feed_all(p,
                     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
                     "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"),
            make_error_code(h1_error::too_many_headers));
}

TEST(H1Parser, TrailerFieldsAreDeliveredAtEverySplit) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n"
      "2\r\nok\r\n0\r\ngrpc-status: 0\r\nGrpc-Message: all good\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  for (std::size_t cut = 1; cut < resp.size(); ++cut) {
    Recorder r;
    H1Parser p(MessageKind::response, r);
    ASSERT_FALSE(feed_all(p, resp, {cut})) << cut;
    ASSERT_EQ(r.messages.size(), 2u) << cut;
    EXPECT_EQ(r.messages[0].body, "ok");
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"grpc-status", "0"}, {"Grpc-Message", "all good"}};
    EXPECT_EQ(r.messages[0].trailers, expected) << cut;
    // The head's fields stay as they were; the next message has neither trailers nor leftovers.
    EXPECT_EQ(r.messages[0].headers.size(), 2u);
    EXPECT_TRUE(r.messages[1].trailers.empty());
    EXPECT_TRUE(r.messages[1].headers.empty());
  }
}

TEST(H1Parser, FoldedTrailerValueIsRejected) {
  EXPECT_EQ(request_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "0\r\nX-T: a\r\n b\r\n\r\n"),
            h1_error::smuggling);
}

TEST(H1Parser, ResponseStatusLineCountsTowardsTheLimit) {
  Recorder r;
  H1Parser p(MessageKind::response, r, H1Limits{.max_head_bytes = 40});
  const std::string resp = fmt::format("HTTP/1.1 200 {}\r\n\r\n", std::string(60, 'r'));
  EXPECT_EQ(feed_all(p, resp), make_error_code(h1_error::header_too_large));
}

TEST(H1Parser, ExpectContinue) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  ASSERT_FALSE(feed_all(p, "PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].expect_continue);
  EXPECT_FALSE(r.messages[0].complete);  // waits for the body
  EXPECT_TRUE(p.in_message());
  ASSERT_FALSE(feed_all(p, "ok"));
  EXPECT_TRUE(r.messages[0].complete);
  ASSERT_FALSE(feed_all(p, "GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(r.messages[1].expect_continue);
}

TEST(H1Parser, UpgradeStopsParsingAndLeavesTheRest) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  const std::string_view req =
      "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  const std::string data = std::string(req) + "\x81\x05hello";
  auto n = p.feed(bytes(data));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, req.size());
  EXPECT_TRUE(p.upgraded());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].upgrade);
  EXPECT_TRUE(r.messages[0].complete);
  n = p.feed(bytes(std::string_view(data).substr(*n)));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(H1Parser, ConnectIsAnUpgrade) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  const std::string_view req = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
  auto n = p.feed(bytes(std::string(req) + "\x16\x03\x01"));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, req.size());
  EXPECT_TRUE(p.upgraded());
  EXPECT_EQ(r.messages[0].target, "example.com:443");
}

TEST(H1Parser, ResponsesWithoutBodies) {
  Recorder r;
  H1Parser p(MessageKind::response, r);
  // 1xx, 204 and 304 never have a body, whatever their fields say.
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 100 Continue\r\n\r\n"));
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 204 No Content\r\n\r\n"));
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"));
  // A HEAD response carries the length of the body it does not send.
  p.set_response_to_head(true);
  {
    const auto ec = feed_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    ASSERT_FALSE(ec) << ec.message();
  }
  // The next response has its body again.
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
  ASSERT_EQ(r.messages.size(), 5u);
  const unsigned statuses[] = {100, 204, 304, 200, 200};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r.messages[i].status, statuses[i]);
    EXPECT_TRUE(r.messages[i].complete) << i;
    EXPECT_EQ(r.messages[i].no_body, i < 4) << i;
  }
  EXPECT_EQ(r.messages[3].body, "");
  EXPECT_EQ(r.messages[4].body, "hi");
  EXPECT_TRUE(response_has_no_body(false, 101));
  EXPECT_FALSE(response_has_no_body(false, 200));
}

TEST(H1Parser, SwitchingProtocolsResponseIsAnUpgrade) {
  Recorder r;
  H1Parser p(MessageKind::response, r);
  const std::string_view resp =
      "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n";
  const std::string data = fmt::format("{}\x81\x00", resp);
  auto n = p.feed(bytes(data));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, resp.size());
  EXPECT_TRUE(p.upgraded());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].upgrade);
  EXPECT_TRUE(r.messages[0].no_body);
}

TEST(H1Parser, ResponseBodyToEndOfConnection) {
  Recorder r;
  H1Parser p(MessageKind::response, r);
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome bytes"));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_FALSE(r.messages[0].complete);
  ASSERT_TRUE(p.finish());
  EXPECT_TRUE(r.messages[0].complete);
  EXPECT_EQ(r.messages[0].body, "some bytes");
  EXPECT_FALSE(r.messages[0].keep_alive);
}

TEST(H1Parser, TruncatedMessageAtEofIsMalformed) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  ASSERT_FALSE(feed_all(p, "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"));
  auto done = p.finish();
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error(), make_error_code(h1_error::malformed));
}

TEST(H1Parser, SmugglingShapesAre400) {
  const char* cases[] = {
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n",
  };
  for (const char* c : cases) {
    const auto e = request_error(c);
    EXPECT_EQ(e, h1_error::smuggling) << c;
    EXPECT_EQ(status_for(e), 400u) << c;
  }
}

TEST(H1Parser, SmugglingShapesAre400AtEveryReadBoundary) {
  const std::string_view cases[] = {
      "GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
  };
  for (auto c : cases) {
    for (std::size_t cut = 1; cut < c.size(); ++cut) {
      Recorder r;
      H1Parser p(MessageKind::request, r);
      const auto ec = feed_all(p, c, {cut});
      ASSERT_TRUE(ec) << c << " cut " << cut;
      // Whitespace before the colon is `malformed` when a read ends just before the colon;
      // either way the client gets 400.
      EXPECT_EQ(status_for(static_cast<h1_error>(ec.value())), 400u) << c << " cut " << cut;
    }
  }
}

TEST(H1Parser, OtherTransferCodingsAre501) {
  const auto e =
      request_error("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(e, h1_error::unsupported_transfer_encoding);
  EXPECT_EQ(status_for(e), 501u);
}

TEST(H1Parser, InvalidChunkSizeIs400) {
  const auto e = request_error(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(status_for(e), 400u);
}

TEST(H1Parser, GarbageAfterRequestLineIs400) {
  const auto e = request_error("GET / HTTP/1.1\r\n\x01\x02garbage\r\n\r\n");
  EXPECT_EQ(e, h1_error::malformed);
  EXPECT_EQ(status_for(e), 400u);
  EXPECT_EQ(request_error("GET / HTTP/1.1 junk\r\n\r\n"), h1_error::malformed);
  EXPECT_EQ(request_error("\x16\x03\x01\x02\x00"), h1_error::malformed);
}

TEST(H1Parser, ErrorIsSticky) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  ASSERT_TRUE(feed_all(p, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"));
  auto n = p.feed(bytes("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_FALSE(n);
  p.reset();
  EXPECT_FALSE(feed_all(p, "GET / HTTP/1.1\r\n\r\n"));
}

TEST(H1Parser, OversizedHeadIs431) {
  const std::string big =
      fmt::format("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", std::string(70 * 1024, 'a'));
  auto e = request_error(big);
  EXPECT_EQ(e, h1_error::header_too_large);
  EXPECT_EQ(status_for(e), 431u);
  // The same limit when the head arrives in small reads.
  Recorder r;
  H1Parser p(MessageKind::request, r, H1Limits{.max_head_bytes = 100});
  std::vector<std::size_t> cuts;
  const std::string small = fmt::format("GET /{} HTTP/1.1\r\n\r\n", std::string(150, 'p'));
  for (std::size_t i = 10; i < small.size(); i += 10) cuts.push_back(i);
  const auto ec = feed_all(p, small, cuts);
  EXPECT_EQ(ec, make_error_code(h1_error::header_too_large));
  // Just under a small limit is fine.
  Recorder ok;
  H1Parser q(MessageKind::request, ok, H1Limits{.max_head_bytes = 100});
  EXPECT_FALSE(feed_all(q, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
}

TEST(H1Parser, TooManyHeadersIs431) {
  std::string req = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) req += fmt::format("X-H{}: v\r\n", i);
  req += "\r\n";
  const auto e = request_error(req);
  EXPECT_EQ(e, h1_error::too_many_headers);
  EXPECT_EQ(status_for(e), 431u);
  Recorder r;
  H1Parser p(MessageKind::request, r, H1Limits{.max_headers = 101});
  EXPECT_FALSE(feed_all(p, req));
}

TEST(H1Parser, HopByHopClassification) {
  Recorder r;
  H1Parser p(MessageKind::request, r);
  ASSERT_FALSE(feed_all(p,
                        "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\n"
                        "Keep-Alive: timeout=5\r\nTE: trailers\r\nX-Secret: 1\r\n"
                        "Connection: x-other\r\nX-Other: 2\r\nProxy-Connection: close\r\n"
                        "Upgrade: h2c\r\nTrailer: X-T\r\nAccept: */*\r\n\r\n"));
  ASSERT_EQ(r.messages.size(), 1u);
  // Trailer announces the trailer section, which the proxy passes on: it is end to end.
  const std::vector<std::string> expected = {"Connection", "Keep-Alive",       "TE",
                                             "X-Secret",   "Connection",       "X-Other",
                                             "Proxy-Connection", "Upgrade"};
  EXPECT_EQ(r.messages[0].hop_by_hop, expected);

  EXPECT_TRUE(is_hop_by_hop("transfer-encoding", ""));
  EXPECT_TRUE(is_hop_by_hop("x-foo", "close, X-Foo"));
  EXPECT_TRUE(is_hop_by_hop("X-Foo", " x-foo "));
  EXPECT_FALSE(is_hop_by_hop("x-foo", "x-foobar"));
  EXPECT_FALSE(is_hop_by_hop("Content-Length", "close"));
  EXPECT_FALSE(is_hop_by_hop("", "a,,b"));
  EXPECT_TRUE(has_token("Upgrade, HTTP2-Settings", "upgrade"));
}

TEST(H1Parser, ErrorCategory) {
  const boost::system::error_code ec = h1_error::smuggling;
  EXPECT_EQ(ec.category().name(), std::string("weft.h1"));
  EXPECT_FALSE(ec.message().empty());
}

}  // namespace
}  // namespace weft::http
