#include "weft/net/pipe_pool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/system/errc.hpp>
#include <cerrno>

namespace weft::net {

namespace {

void close_fds(PipePool::Fds fds) noexcept {
  ::close(fds.read);
  ::close(fds.write);
}

}  // namespace

PipePool::Lease::Lease(Lease&& other) noexcept
    : pending(other.pending), pool_(other.pool_), fds_(other.fds_) {
  other.fds_ = {};
  other.pending = 0;
}

PipePool::Lease& PipePool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    fds_ = other.fds_;
    pending = other.pending;
    other.fds_ = {};
    other.pending = 0;
  }
  return *this;
}

void PipePool::Lease::release() noexcept {
  if (fds_.read < 0) return;
  pool_->give_back(fds_, pending == 0);
  fds_ = {};
  pending = 0;
}

PipePool::PipePool(std::size_t max_free) : max_free_(max_free) { free_.reserve(max_free); }

PipePool::~PipePool() {
  for (const auto& fds : free_) close_fds(fds);
}

result<PipePool::Lease> PipePool::acquire() {
  if (exhausted_for_test_) return make_error_code(boost::system::errc::too_many_files_open);
  if (!free_.empty()) {
    const auto fds = free_.back();
    free_.pop_back();
    return Lease(this, fds);
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    return boost::system::error_code(errno, boost::system::system_category());
  }
  // Shrink from the default 64 KiB to the per-direction bound. Should the kernel refuse, the
  // splice length still caps what one pipe holds at kPipeSize.
  ::fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(kPipeSize));
  return Lease(this, Fds{p[0], p[1]});
}

void PipePool::give_back(Fds fds, bool empty) noexcept {
  // The free list was reserved up front: push_back never allocates here.
  if (empty && free_.size() < max_free_) {
    free_.push_back(fds);
  } else {
    close_fds(fds);
  }
}

}  // namespace weft::net
