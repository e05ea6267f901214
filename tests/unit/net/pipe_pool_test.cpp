#include "weft/net/pipe_pool.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace weft::net {
namespace {

TEST(PipePool, PipesAreBoundedToTheBufferSize) {
  PipePool pool(2);
  auto lease = pool.acquire();
  ASSERT_TRUE(lease);
  EXPECT_EQ(::fcntl(lease->write_fd(), F_GETPIPE_SZ), static_cast<int>(PipePool::kPipeSize));
}

TEST(PipePool, EmptyPipesAreReusedAndTheFreeListIsBounded) {
  PipePool pool(1);
  int first_fd = -1;
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    ASSERT_TRUE(a && b);
    first_fd = a->read_fd();
  }
  EXPECT_EQ(pool.free_count(), 1u);  // the second was closed, not kept
  auto again = pool.acquire();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->read_fd() == first_fd || pool.free_count() == 0u);
}

TEST(PipePool, APipeWithBytesLeftIsClosedNotReused) {
  PipePool pool(4);
  auto lease = pool.acquire();
  ASSERT_TRUE(lease);
  ASSERT_EQ(::write(lease->write_fd(), "x", 1), 1);
  lease->pending = 1;
  lease->release();
  EXPECT_EQ(pool.free_count(), 0u);
}

}  // namespace
}  // namespace weft::net
