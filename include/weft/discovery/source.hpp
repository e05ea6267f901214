// Where destination tables come from, and where they go. A Source (the file today; the
// Kubernetes API later) publishes whole tables to the DestinationStore. Each worker reads the
// store through its own DestinationView, which costs one relaxed atomic load per lookup while
// nothing changes and takes the store's mutex only when a new version is out.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "weft/discovery/table.hpp"

namespace weft::discovery {

/// The current table, shared by every worker. publish() may run on any thread.
class DestinationStore {
 public:
  DestinationStore();
  /// Replaces the table; views see it at their next lookup.
  void publish(TablePtr table);
  /// The current table and its version (1 for the table the store starts with, empty).
  std::pair<TablePtr, std::uint64_t> load() const;
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  TablePtr table_;
  std::atomic<std::uint64_t> version_{1};
};

/// A worker's handle on the store. Single-threaded (its worker's).
class DestinationView {
 public:
  explicit DestinationView(const DestinationStore& store);
  /// The current table. The reference is valid until the next call on this worker; a request
  /// that must keep its table across suspensions copies the TablePtr.
  const TablePtr& current();
  /// The version current() last returned.
  std::uint64_t version() const noexcept { return version_; }

 private:
  const DestinationStore& store_;
  TablePtr table_;
  std::uint64_t version_ = 0;
};

/// A source of tables. start() publishes a first table before it returns.
class Source {
 public:
  virtual ~Source() = default;
  virtual void start(DestinationStore& store) = 0;
  virtual void stop() = 0;
};

}  // namespace weft::discovery
