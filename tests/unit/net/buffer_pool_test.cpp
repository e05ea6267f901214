#include "weft/net/buffer_pool.hpp"

#include <gtest/gtest.h>

namespace weft::net {
namespace {

TEST(BufferPool, ReusesReturnedBuffers) {
  BufferPool pool(2);
  std::byte* first = nullptr;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    EXPECT_EQ(lease.bytes().size(), BufferPool::kBufferSize);
    first = lease.bytes().data();
  }
  EXPECT_EQ(pool.free_count(), 1u);
  auto again = pool.acquire();
  EXPECT_EQ(again.bytes().data(), first);
  EXPECT_EQ(pool.free_count(), 0u);
}

TEST(BufferPool, FreeListIsBounded) {
  BufferPool pool(2);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    auto c = pool.acquire();
  }
  EXPECT_EQ(pool.free_count(), 2u);
}

TEST(BufferPool, ReleaseIsIdempotentAndMoveSafe) {
  BufferPool pool(4);
  auto a = pool.acquire();
  auto b = std::move(a);
  EXPECT_FALSE(a);
  b.release();
  b.release();
  EXPECT_FALSE(b);
  EXPECT_EQ(pool.free_count(), 1u);
}

}  // namespace
}  // namespace weft::net
