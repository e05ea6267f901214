#include "weft/net/buffer_pool.hpp"

namespace weft::net {

BufferPool::Lease BufferPool::acquire() {
  if (free_.empty()) return Lease(this, std::make_unique_for_overwrite<std::byte[]>(kBufferSize));
  auto data = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(data));
}

void BufferPool::give_back(std::unique_ptr<std::byte[]> data) noexcept {
  // The free list was reserved up front, so this never allocates; past the bound, `data` is freed.
  if (free_.size() < max_free_) free_.push_back(std::move(data));
}

}  // namespace weft::net
