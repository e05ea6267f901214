// The pieces of an HTTP/2 stream bridge that hold bytes: the body queue (pooled chunks, bytes in
// order across chunk boundaries, chunks returned as they drain) and the header block (fields kept
// for re-submission, RFC 9113 list size).
#include "weft/http/h2_stream.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft::http {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(BodyQueue, KeepsOrderAcrossChunksAndReturnsDrainedChunks) {
  net::BufferPool pool;
  BodyQueue q;
  std::string in;
  for (int i = 0; i < 50000; ++i) in.push_back(static_cast<char>(i * 7));
  q.append(pool, bytes(in.substr(0, 20000)));
  q.append(pool, bytes(in.substr(20000)));
  EXPECT_EQ(q.size(), in.size());

  std::string out;
  std::uint8_t buf[7000];
  while (!q.empty()) {
    const auto n = q.read(buf, sizeof buf);
    ASSERT_GT(n, 0u);
    out.append(reinterpret_cast<const char*>(buf), n);
  }
  EXPECT_EQ(out, in);
  // Every chunk went back to the pool once drained.
  EXPECT_EQ(pool.free_count(), 4u);
  EXPECT_EQ(q.read(buf, sizeof buf), 0u);
}

TEST(BodyQueue, InterleavedAppendAndRead) {
  net::BufferPool pool;
  BodyQueue q;
  std::string in;
  std::string out;
  std::uint8_t buf[16384 + 3];
  for (int round = 0; round < 20; ++round) {
    const std::string piece(1000 * round + 1, static_cast<char>('a' + round));
    in += piece;
    q.append(pool, bytes(piece));
    const auto n = q.read(buf, round % 2 == 0 ? sizeof buf : 333);
    out.append(reinterpret_cast<const char*>(buf), n);
  }
  while (!q.empty()) out.append(reinterpret_cast<const char*>(buf), q.read(buf, sizeof buf));
  EXPECT_EQ(out, in);
  q.clear();
  EXPECT_TRUE(q.empty());
}

TEST(HeaderBlock, KeepsFieldsForSubmissionAndCountsListSize) {
  HeaderBlock h;
  h.add(":status", "200");
  h.add("content-type", "application/grpc");
  h.add("x-long", std::string(1000, 'v'));
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.get("content-type"), "application/grpc");
  EXPECT_EQ(h.get("missing"), "");
  EXPECT_EQ(h.list_size(), (7 + 3 + 32) + (12 + 16 + 32) + (6 + 1000 + 32));
  const auto nva = h.nva();
  ASSERT_EQ(nva.size(), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(nva[1].name), nva[1].namelen),
            "content-type");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(nva[2].value), nva[2].valuelen),
            std::string(1000, 'v'));
  h.clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.list_size(), 0u);
}

}  // namespace
}  // namespace weft::http
