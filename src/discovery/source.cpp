#include "weft/discovery/source.hpp"

namespace weft::discovery {

DestinationStore::DestinationStore() : table_(std::make_shared<const DestinationTable>()) {}

void DestinationStore::publish(TablePtr table) {
  if (!table) table = std::make_shared<const DestinationTable>();
  {
    std::lock_guard lock(mutex_);
    table_.swap(table);
    // Bumped under the mutex, so that load() returns a table and its own version; views read
    // the version without the mutex and take it only when the number moved.
    version_.fetch_add(1, std::memory_order_release);
  }
  // `table` now holds the previous table: if this was its last owner, it is freed here, after
  // the mutex is released.
}

std::pair<TablePtr, std::uint64_t> DestinationStore::load() const {
  std::lock_guard lock(mutex_);
  return {table_, version_.load(std::memory_order_relaxed)};
}

DestinationView::DestinationView(const DestinationStore& store) : store_(store) {}

const TablePtr& DestinationView::current() {
  if (store_.version() != version_) {
    auto [table, version] = store_.load();
    table_ = std::move(table);
    version_ = version;
  }
  return table_;
}

}  // namespace weft::discovery
