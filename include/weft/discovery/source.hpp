// Where destination tables come from, and where they go. A Source (the file today; the
// Kubernetes API later) publishes whole tables to the DestinationStore. Each worker reads the
// store through its own DestinationView (core::Published).
#pragma once

#include "weft/core/published.hpp"
#include "weft/discovery/table.hpp"

namespace weft::discovery {

/// The current table, shared by every worker (empty until a source publishes one); each
/// worker reads it through its own DestinationView.
class DestinationStore : public core::Published<DestinationTable> {
 public:
  DestinationStore() : Published(std::make_shared<const DestinationTable>()) {}
  void publish(TablePtr table) {
    Published::publish(table ? std::move(table) : std::make_shared<const DestinationTable>());
  }
};
using DestinationView = DestinationStore::View;

/// A source of tables. start() publishes a first table before it returns.
class Source {
 public:
  virtual ~Source() = default;
  virtual void start(DestinationStore& store) = 0;
  virtual void stop() = 0;
};

}  // namespace weft::discovery
