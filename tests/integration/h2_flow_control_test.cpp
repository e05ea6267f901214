// End-to-end HTTP/2 flow control through the proxy: a client that stops reading stops the
// endpoint after a bounded number of bytes (the windows the proxy advertised), and resumes it
// with WINDOW_UPDATE; the body still arrives byte-exact.
#include <gtest/gtest.h>

#include "support/client.hpp"
#include "support/h2_frames.hpp"
#include "support/h2_test_server.hpp"
#include "support/proxy_fixture.hpp"
#include "support/servers.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

std::string be32_bytes(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

TEST(H2FlowControl, SlowReaderBoundsWhatTheEndpointSends) {
  H2TestServer server;
  auto proxy = start_proxy_to(server.endpoint());
  constexpr std::size_t kBody = 8u * 1024 * 1024;
  Client c(proxy->outbound_endpoint(), 20s);
  ASSERT_TRUE(c.connected());
  const auto request = h2::frame(
      h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
      h2::header_block({{":method", "GET"},
                        {":scheme", "http"},
                        {":authority", "flow.test"},
                        {":path", "/size/" + std::to_string(kBody)}}));
  ASSERT_TRUE(c.send_all(std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, "") + request));

  // The client's windows are the default 65,535 octets: read exactly that, then stop reading.
  std::string body;
  while (body.size() < 65535) {
    auto f = h2::read_frame(c);
    ASSERT_TRUE(f.has_value());
    if (f->type == h2::kData) body += f->payload;
  }
  EXPECT_EQ(body.size(), 65535u);
  // The endpoint may fill what the proxy advertised on its side (a 65,535-octet stream window)
  // and no more: nothing is consumed there until the client's session takes it.
  constexpr std::size_t kBound = 2 * 65535 + 16384;
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_LE(server.body_bytes_sent(), kBound);
    std::this_thread::sleep_for(10ms);
  }

  // Open the windows: the rest flows and arrives intact.
  ASSERT_TRUE(c.send_all(h2::frame(h2::kWindowUpdate, 0, 0, be32_bytes(kBody)) +
                         h2::frame(h2::kWindowUpdate, 0, 1, be32_bytes(kBody))));
  bool ended = false;
  while (!ended) {
    auto f = h2::read_frame(c);
    ASSERT_TRUE(f.has_value()) << "after " << body.size() << " bytes";
    if (f->type == h2::kData && f->stream_id == 1) {
      body += f->payload;
      ended = (f->flags & h2::kEndStream) != 0;
    }
    ASSERT_NE(f->type, h2::kRstStream);
  }
  EXPECT_EQ(body.size(), kBody);
  EXPECT_EQ(sha256_hex(body), sha256_hex(pattern_bytes(kBody)));
}

}  // namespace
}  // namespace weft::test
