// Copy buffers for proxied byte streams, per worker. A connection holds a buffer only while bytes
// are in flight in one direction, so an idle connection costs no buffer memory, and the pool's
// free list is bounded. Touched only by its worker's thread: no locks.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace weft::net {

class BufferPool {
 public:
  /// Each buffer's size: the bound on bytes in flight per direction of a proxied connection.
  static constexpr std::size_t kBufferSize = 16 * 1024;

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept : pool_(other.pool_), data_(std::move(other.data_)) {}
    Lease& operator=(Lease&& other) noexcept {
      release();
      pool_ = other.pool_;
      data_ = std::move(other.data_);
      return *this;
    }
    ~Lease() { release(); }
    std::span<std::byte> bytes() noexcept { return {data_.get(), kBufferSize}; }
    explicit operator bool() const noexcept { return data_ != nullptr; }
    /// Gives the buffer back to the pool now.
    void release() noexcept {
      if (data_) pool_->give_back(std::move(data_));
    }

   private:
    friend class BufferPool;
    Lease(BufferPool* pool, std::unique_ptr<std::byte[]> data)
        : pool_(pool), data_(std::move(data)) {}
    BufferPool* pool_ = nullptr;
    std::unique_ptr<std::byte[]> data_;
  };

  /// `max_free`: buffers kept for reuse; more than that are freed when returned.
  explicit BufferPool(std::size_t max_free = 64) : max_free_(max_free) { free_.reserve(max_free); }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  Lease acquire();
  std::size_t free_count() const noexcept { return free_.size(); }

 private:
  void give_back(std::unique_ptr<std::byte[]> data) noexcept;

  std::size_t max_free_;
  std::vector<std::unique_ptr<std::byte[]>> free_;
};

}  // namespace weft::net
