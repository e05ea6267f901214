#include "weft/detect/http.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft::detect {
namespace {

std::optional<Protocol> detect(std::string_view s) {
  return detect_http(std::as_bytes(std::span(s.data(), s.size())));
}

// Feeds the bytes in the given cut points, as separate reads would deliver them, and returns the
// first decision.
std::optional<Protocol> detect_in_reads(std::string_view s,
                                        std::initializer_list<std::size_t> cuts) {
  for (std::size_t cut : cuts) {
    if (auto p = detect(s.substr(0, cut))) return p;
  }
  return detect(s);
}

TEST(DetectHttp, Http2PrefaceWholeAndSplitAcrossReads) {
  constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  EXPECT_EQ(detect(kPreface), Protocol::http2);
  EXPECT_EQ(detect("PRI * HTTP/2.0"), Protocol::http2);
  for (std::size_t i = 1; i < 14; ++i) EXPECT_EQ(detect(kPreface.substr(0, i)), std::nullopt) << i;
  EXPECT_EQ(detect_in_reads(kPreface, {3, 9, 13}), Protocol::http2);
}

TEST(DetectHttp, Http1RequestLines) {
  EXPECT_EQ(detect("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Protocol::http1);
  EXPECT_EQ(detect("GET / HTTP/1.1"), Protocol::http1);  // exactly 14 bytes
  EXPECT_EQ(detect("POST /upload?x=1 HTTP/1.0\r\n"), Protocol::http1);
  EXPECT_EQ(detect("OPTIONS * HTTP/1.1\r\n"), Protocol::http1);
  EXPECT_EQ(detect("CONNECT example.com:443 HTTP/1.1\r\n"), Protocol::http1);
  EXPECT_EQ(detect("M-SEARCH * HTTP/1.1\r\n"), Protocol::http1);
}

TEST(DetectHttp, FewerThanFourteenBytesWaitForMore) {
  for (std::string_view partial : {"G", "GET", "GET ", "GET /", "GET / HTTP", "GET / HTTP/1."}) {
    EXPECT_EQ(detect(partial), std::nullopt) << partial;
  }
  EXPECT_EQ(detect_in_reads("GET /index.html HTTP/1.1\r\n", {1, 4, 10, 20}), Protocol::http1);
}

TEST(DetectHttp, LongRequestTargetIsHttp1AtTheReadLimit) {
  std::string line = "GET /" + std::string(kMaxDetectBytes, 'a');
  EXPECT_EQ(detect(std::string_view(line).substr(0, kMaxDetectBytes - 1)), std::nullopt);
  EXPECT_EQ(detect(line), Protocol::http1);
}

TEST(DetectHttp, AnythingElseIsOpaque) {
  EXPECT_EQ(detect("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), Protocol::not_http);  // TLS
  EXPECT_EQ(detect("SSH-2.0-OpenSSH_9.2\r\n"), Protocol::not_http);
  EXPECT_EQ(detect(std::string_view("\0\0\0\x08\x04\xd2\x16/", 8)),
            Protocol::not_http);  // postgres
  EXPECT_EQ(detect("GET / HTTP/2.0\r\n"), Protocol::not_http);
  EXPECT_EQ(detect("GET  / HTTP/1.1\r\n"), Protocol::not_http);
  EXPECT_EQ(detect("GET /\x01 HTTP/1.1\r\n"), Protocol::not_http);
  EXPECT_EQ(detect("GET / HTTP/1.x\r\n"), Protocol::not_http);
  EXPECT_EQ(detect(" GET / HTTP/1.1\r\n"), Protocol::not_http);
  EXPECT_EQ(detect("PRX * HTTP/2.0"), Protocol::not_http);
  EXPECT_EQ(detect(""), std::nullopt);
}

TEST(DetectHttp, ResultLabels) {
  EXPECT_EQ(to_string(Protocol::http1), "http/1");
  EXPECT_EQ(to_string(Protocol::http2), "http/2");
  EXPECT_EQ(to_string(Protocol::not_http), "not_http");
}

}  // namespace
}  // namespace weft::detect
