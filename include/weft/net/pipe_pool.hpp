// Kernel pipes for splice(2), per worker: plaintext-to-plaintext forwarding moves bytes socket ->
// pipe -> socket without copying them through user space. Each pipe is sized to the same 16 KiB
// bound as a copy buffer, is leased only while bytes are in flight, and is given back empty, so an
// idle connection holds no pipe and no descriptors beyond its two sockets. Worker thread only.
#pragma once

#include <cstddef>
#include <vector>

#include "weft/core/result.hpp"

namespace weft::net {

class PipePool {
 public:
  /// The most bytes one pipe holds: the per-direction bound on bytes in flight.
  static constexpr std::size_t kPipeSize = 16 * 1024;

  struct Fds {
    int read = -1;
    int write = -1;
  };

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { release(); }
    Lease(const Lease&) = delete;

    explicit operator bool() const noexcept { return fds_.read >= 0; }
    int read_fd() const noexcept { return fds_.read; }
    int write_fd() const noexcept { return fds_.write; }
    /// Bytes spliced in and not yet out. Must be 0 when the pipe goes back to the pool.
    std::size_t pending = 0;
    /// Returns an empty pipe to the pool; a pipe with bytes left in it is closed instead.
    void release() noexcept;

   private:
    friend class PipePool;
    Lease(PipePool* pool, Fds fds) : pool_(pool), fds_(fds) {}
    PipePool* pool_ = nullptr;
    Fds fds_;
  };

  explicit PipePool(std::size_t max_free = 32);
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  /// A pipe from the free list, or a new one. Errors: the pipe2(2) errno (e.g.
  /// too_many_files_open).
  result<Lease> acquire();
  std::size_t free_count() const noexcept { return free_.size(); }

  /// From now on acquire() fails with too_many_files_open, as when descriptors run out.
  void exhaust_for_test() noexcept { exhausted_for_test_ = true; }

 private:
  void give_back(Fds fds, bool empty) noexcept;

  std::size_t max_free_;
  std::vector<Fds> free_;
  bool exhausted_for_test_ = false;
};

}  // namespace weft::net
