// DestinationStore and DestinationView: versions, and a view that keeps its table until a new
// one is published.
#include <gtest/gtest.h>

#include "weft/discovery/source.hpp"

namespace weft::discovery {
namespace {

TablePtr table_named(const char* name) {
  Service s;
  s.name = name;
  std::vector<Service> services;
  services.push_back(std::move(s));
  return std::make_shared<const DestinationTable>(std::move(services));
}

TEST(DiscoveryStore, StartsWithAnEmptyTableAtVersionOne) {
  DestinationStore store;
  EXPECT_EQ(store.version(), 1U);
  auto [table, version] = store.load();
  ASSERT_TRUE(table);
  EXPECT_TRUE(table->empty());
  EXPECT_EQ(version, 1U);
}

TEST(DiscoveryStore, EachPublishBumpsTheVersion) {
  DestinationStore store;
  auto a = table_named("a");
  store.publish(a);
  EXPECT_EQ(store.version(), 2U);
  EXPECT_EQ(store.load().first, a);
  store.publish(nullptr);  // stands for an empty table
  EXPECT_EQ(store.version(), 3U);
  ASSERT_TRUE(store.load().first);
  EXPECT_TRUE(store.load().first->empty());
}

TEST(DiscoveryView, FollowsTheStoreAndKeepsItsTableBetweenVersions) {
  DestinationStore store;
  DestinationView view(store);
  EXPECT_EQ(view.version(), 0U);
  const TablePtr first = view.current();
  EXPECT_EQ(view.version(), 1U);
  EXPECT_TRUE(first->empty());
  EXPECT_EQ(view.current().get(), first.get());  // no change: the same table

  auto a = table_named("a");
  store.publish(a);
  EXPECT_EQ(view.version(), 1U);  // seen at the next current()
  EXPECT_EQ(view.current(), a);
  EXPECT_EQ(view.version(), 2U);

  // A request that copied the old pointer keeps using it.
  const TablePtr held = view.current();
  store.publish(table_named("b"));
  EXPECT_EQ(view.current()->services()[0].name, "b");
  EXPECT_EQ(held->services()[0].name, "a");
  EXPECT_EQ(view.version(), 3U);
}

TEST(DiscoveryView, TwoViewsAreIndependent) {
  DestinationStore store;
  DestinationView v1(store);
  DestinationView v2(store);
  store.publish(table_named("a"));
  EXPECT_EQ(v1.current()->services()[0].name, "a");
  store.publish(table_named("b"));
  EXPECT_EQ(v2.current()->services()[0].name, "b");
  EXPECT_EQ(v1.version(), 2U);
  EXPECT_EQ(v2.version(), 3U);
  EXPECT_EQ(v1.current()->services()[0].name, "b");
}

}  // namespace
}  // namespace weft::discovery
