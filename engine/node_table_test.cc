#include "engine/node_table.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace riskd::engine {
namespace {

NodeAttributes Full(const std::string& id) {
  NodeAttributes a;
  a.id = id;
  a.name = "Name of " + id;
  a.kind = "plant";
  a.tier = 2;
  a.region = "DE";
  a.location = GeoPoint{48.1, 11.6};
  a.inventory_days = 3.5;
  a.alternates = {"x", "y"};
  a.emergency_plan_id = "EP-7";
  return a;
}

void ExpectSame(const NodeAttributes& a, const NodeAttributes& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.tier, b.tier);
  EXPECT_EQ(a.region, b.region);
  ASSERT_EQ(a.location.has_value(), b.location.has_value());
  if (a.location) {
    EXPECT_EQ(a.location->lat, b.location->lat);
    EXPECT_EQ(a.location->lon, b.location->lon);
  }
  EXPECT_EQ(a.inventory_days, b.inventory_days);
  EXPECT_EQ(a.alternates, b.alternates);
  EXPECT_EQ(a.emergency_plan_id, b.emergency_plan_id);
}

TEST(NodeTableTest, StoresEveryAttributeAndFindsIds) {
  NodeTable t;
  NodeAttributes bare;
  bare.id = "bare";
  bare.name = "bare";
  EXPECT_EQ(t.Add(Full("a")), 0u);
  EXPECT_EQ(t.Add(bare), 1u);
  ExpectSame(t.Get(0), Full("a"));
  ExpectSame(t.Get(1), bare);
  EXPECT_EQ(t.id(0), "a");
  EXPECT_EQ(t.name(0), "Name of a");
  EXPECT_EQ(t.kind(0), "plant");
  EXPECT_EQ(t.region(1), "");
  EXPECT_FALSE(t.location(1).has_value());
  EXPECT_EQ(t.inventory_days(0), 3.5);
  EXPECT_EQ(*t.Find("bare"), 1u);
  EXPECT_FALSE(t.Find("nope").has_value());
  // Replacing drops the optional fields that are gone.
  NodeAttributes less = Full("a");
  less.alternates.clear();
  less.emergency_plan_id.clear();
  less.location.reset();
  less.kind = "oem";
  t.Replace(0, less);
  ExpectSame(t.Get(0), less);
}

TEST(NodeTableTest, IndexSurvivesRemovalsGrowthAndArenaCompaction) {
  NodeTable t;
  std::mt19937_64 rng(5);
  std::vector<bool> indexed;
  for (int i = 0; i < 5000; ++i) {
    NodeAttributes a;
    a.id = "node-" + std::to_string(i);
    a.name = a.id;
    t.Add(a);
    indexed.push_back(true);
    if (rng() % 3 == 0) {
      const auto v = static_cast<NodeIndex>(rng() % t.size());
      t.Unindex(v);
      indexed[v] = false;
    }
  }
  // Long replaced names make garbage past 1 MB: the arena is re-packed.
  for (int round = 0; round < 600; ++round) {
    const auto v = static_cast<NodeIndex>(rng() % t.size());
    NodeAttributes a = t.Get(v);
    a.name = std::string(2000, static_cast<char>('a' + round % 26));
    t.Replace(v, a);
  }
  for (NodeIndex v = 0; v < t.size(); ++v) {
    const std::string id = "node-" + std::to_string(v);
    EXPECT_EQ(t.id(v), id);
    const auto found = t.Find(id);
    if (indexed[v]) {
      ASSERT_TRUE(found.has_value()) << id;
      EXPECT_EQ(*found, v);
    } else {
      EXPECT_FALSE(found.has_value()) << id;
    }
  }
  EXPECT_LT(t.MemoryBytes(), std::size_t{3} << 20);  // garbage was dropped
}

TEST(NodeTableTest, ShrinkToFitKeepsEveryLookupAndAttribute) {
  // 3000 rows: the row vector grew by quarters to 3444, the arena likewise.
  NodeTable t;
  std::vector<NodeAttributes> added;
  for (int i = 0; i < 3000; ++i) {
    NodeAttributes a = i % 7 == 0 ? Full("full-" + std::to_string(i)) : NodeAttributes{};
    if (a.id.empty()) {
      a.id = "n" + std::to_string(i);
      a.name = a.id;
    }
    t.Add(a);
    added.push_back(a);
  }
  t.Unindex(42);
  const std::size_t before = t.MemoryBytes();
  t.ShrinkToFit();
  // At least the 444 unused rows (56 bytes each) are gone.
  const std::size_t shrunk = t.MemoryBytes();
  EXPECT_LE(shrunk + 444 * 56, before);
  ASSERT_EQ(t.size(), added.size());
  for (NodeIndex v = 0; v < t.size(); ++v) {
    ExpectSame(t.Get(v), added[v]);
    const auto found = t.Find(added[v].id);
    if (v == 42) {
      EXPECT_FALSE(found.has_value());
    } else {
      ASSERT_TRUE(found.has_value()) << added[v].id;
      EXPECT_EQ(*found, v);
    }
  }
  // It still grows: adds, replaces and removals after the shrink; the rows
  // and the arena by a quarter, not a copy's worth (doubling the rows alone
  // would add 3000 x 56 B; a quarter adds ~42 kB, the arena and this node's
  // optional fields a little more).
  const NodeIndex more = t.Add(Full("after"));
  EXPECT_LT(t.MemoryBytes() - shrunk, 3000u * 56 / 2) << "grew by about a copy";
  EXPECT_EQ(t.Find("after"), more);
  t.Replace(0, Full("full-0"));
  ExpectSame(t.Get(0), Full("full-0"));
  EXPECT_EQ(t.Find("n1"), NodeIndex{1});
  t.Unindex(1);
  EXPECT_FALSE(t.Find("n1").has_value());
  EXPECT_EQ(t.Find("n2999"), NodeIndex{2999});
}

}  // namespace
}  // namespace riskd::engine
