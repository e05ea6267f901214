// One immutable value that a control thread replaces now and then and every worker reads on its
// hot path: the destination table, the workload identity. A worker's Published::View costs one
// atomic load per read while nothing changes, and takes the mutex only when a new version is out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace weft::core {

/// The current value, shared by every worker. publish() may run on any thread.
template <class T>
class Published {
 public:
  using Ptr = std::shared_ptr<const T>;

  explicit Published(Ptr initial = nullptr) : value_(std::move(initial)) {}

  /// Replaces the value; views see it at their next read.
  void publish(Ptr value) {
    {
      std::lock_guard lock(mutex_);
      value_.swap(value);
      // Bumped under the mutex, so that load() returns a value and its own version; views read
      // the version without the mutex and take it only when the number moved.
      version_.fetch_add(1, std::memory_order_release);
    }
    // `value` now holds the previous one: if this was its last owner, it is freed here, after the
    // mutex is released.
  }

  /// The current value and its version (1 for the value the store starts with).
  std::pair<Ptr, std::uint64_t> load() const {
    std::lock_guard lock(mutex_);
    return {value_, version_.load(std::memory_order_relaxed)};
  }
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  /// A worker's handle on the store. Single-threaded (its worker's).
  class View {
   public:
    explicit View(const Published& store) : store_(store) {}
    /// The current value. The reference is valid until the next call on this worker; work that
    /// must keep its value across suspensions copies the pointer.
    const Ptr& current() {
      if (store_.version() != version_) {
        auto [value, version] = store_.load();
        value_ = std::move(value);
        version_ = version;
      }
      return value_;
    }
    /// The version current() last returned.
    std::uint64_t version() const noexcept { return version_; }

   private:
    const Published& store_;
    Ptr value_;
    std::uint64_t version_ = 0;
  };

 private:
  mutable std::mutex mutex_;
  Ptr value_;
  std::atomic<std::uint64_t> version_{1};
};

}  // namespace weft::core
