#include "weft/http/h1_writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::http {
namespace {

// Parses `message` and serializes its head with `write` from inside on_head (where the views
// are valid), as the proxy does.
template <class Write>
std::string rewrite(MessageKind kind, const std::string& message, Write write) {
  struct Capture final : H1Handler {
    explicit Capture(Write& w) : write(w) {}
    void on_head(const MessageHead& head) override { write(out, head); }
    void on_body(std::span<const std::byte>) override {}
    void on_message_complete() override {}
    Write& write;
    std::string out;
  } capture(write);
  H1Parser parser(kind, capture);
  EXPECT_TRUE(parser.feed(std::as_bytes(std::span(message.data(), message.size()))));
  return capture.out;
}

std::string request(const std::string& message, BodyFraming framing, std::string_view host = {}) {
  return rewrite(MessageKind::request, message, [&](std::string& out, const MessageHead& h) {
    append_request_head(out, h, framing, host);
  });
}

std::string response(const std::string& message, ResponseHeadOptions options) {
  return rewrite(MessageKind::response, message, [&](std::string& out, const MessageHead& h) {
    append_response_head(out, h, options);
  });
}

TEST(H1Writer, RequestKeepsEndToEndFieldsInOrderAndDropsHopByHop) {
  EXPECT_EQ(request("GET /a?b HTTP/1.1\r\nHost: web\r\nConnection: keep-alive, X-Hop\r\n"
                    "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
                    "Proxy-Connection: x\r\nAccept: */*\r\n\r\n",
                    BodyFraming::none),
            "GET /a?b HTTP/1.1\r\nHost: web\r\nAccept: */*\r\n\r\n");
}

TEST(H1Writer, ClientIdIsTheProxysToSetAndNeverTakenFromTheClient) {
  const std::string forged =
      "GET / HTTP/1.1\r\nHost: web\r\nWeft-Client-Id: spiffe://evil/ns/a/sa/b\r\n"
      "weft-client-id: x\r\n\r\n";
  // No verified client: the field is gone.
  EXPECT_EQ(request(forged, BodyFraming::none), "GET / HTTP/1.1\r\nHost: web\r\n\r\n");
  // An mTLS client: only the proxy's value goes on.
  EXPECT_EQ(rewrite(MessageKind::request, forged,
                    [](std::string& out, const MessageHead& h) {
                      append_request_head(out, h, BodyFraming::none, {},
                                          "spiffe://cluster.local/ns/emojivoto/sa/web");
                    }),
            "GET / HTTP/1.1\r\nHost: web\r\n"
            "weft-client-id: spiffe://cluster.local/ns/emojivoto/sa/web\r\n\r\n");
}

TEST(H1Writer, RequestIsAlwaysHttp11AndAnHttp10RequestCanGetAHost) {
  EXPECT_EQ(request("GET / HTTP/1.0\r\nAccept: x\r\n\r\n", BodyFraming::none, "10.0.0.1:80"),
            "GET / HTTP/1.1\r\nhost: 10.0.0.1:80\r\nAccept: x\r\n\r\n");
}

TEST(H1Writer, ChunkedRequestIsMarkedChunkedAndContentLengthPasses) {
  EXPECT_EQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", BodyFraming::chunked),
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n");
  EXPECT_EQ(request("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", BodyFraming::content_length),
            "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n");
}

TEST(H1Writer, UpgradeRequestKeepsUpgradeAndSaysConnectionUpgrade) {
  EXPECT_EQ(request("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    "Sec-WebSocket-Key: k\r\n\r\n",
                    BodyFraming::none),
            "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n"
            "connection: upgrade\r\n\r\n");
}

TEST(H1Writer, ResponseFramingAndConnectionFields) {
  const std::string chunked =
      "HTTP/1.1 200 Whatever\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n";
  EXPECT_EQ(response(chunked, {.framing = BodyFraming::chunked}),
            "HTTP/1.1 200 OK\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n");
  EXPECT_EQ(response(chunked, {.framing = BodyFraming::close_delimited, .close = true}),
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nconnection: close\r\n\r\n");
  EXPECT_EQ(response("HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n",
                     {.framing = BodyFraming::content_length, .keep_alive_10 = true}),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nconnection: keep-alive\r\n\r\n");
}

TEST(H1Writer, SwitchingProtocolsKeepsUpgrade) {
  EXPECT_EQ(response("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Accept: a\r\n\r\n",
                     {.framing = BodyFraming::none}),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: a\r\n"
            "connection: upgrade\r\n\r\n");
}

TEST(H1Writer, ChunkHeaderIsLowercaseHex) {
  std::string out;
  append_chunk_header(out, 0x3fa0);
  EXPECT_EQ(out, "3fa0\r\n");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

TEST(H1Writer, LastChunkCarriesEndToEndTrailerFields) {
  const std::vector<Header> trailers = {{"grpc-status", "0"},
                                        {"Content-Length", "9"},
                                        {"Transfer-Encoding", "chunked"},
                                        {"Host", "elsewhere"},
                                        {"X-Checksum", "abc"}};
  std::string out;
  append_last_chunk(out, trailers);
  EXPECT_EQ(out, "0\r\ngrpc-status: 0\r\nX-Checksum: abc\r\n\r\n");
  out.clear();
  append_last_chunk(out, {});
  EXPECT_EQ(out, kLastChunk);
}

}  // namespace
}  // namespace weft::http
