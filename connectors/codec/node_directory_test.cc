#include "connectors/codec/node_directory.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/geo.h"

namespace riskd::connectors {
namespace {

// What the directory must hold, kept the obvious way.
struct Expected {
  std::string region;
  std::optional<engine::GeoPoint> location;
};
using Reference = std::map<std::string, Expected>;

riskd::v1::NodeSpec Spec(const std::string& id, const Expected& e) {
  riskd::v1::NodeSpec spec;
  spec.set_id(id);
  spec.set_region(e.region);
  if (e.location) {
    spec.mutable_location()->set_lat(e.location->lat);
    spec.mutable_location()->set_lon(e.location->lon);
  }
  return spec;
}

riskd::v1::Place Region(const std::string& code) {
  riskd::v1::Place place;
  place.set_region(code);
  return place;
}

riskd::v1::Place Circle(double lat, double lon, double radius_km) {
  riskd::v1::Place place;
  place.mutable_circle()->mutable_center()->set_lat(lat);
  place.mutable_circle()->mutable_center()->set_lon(lon);
  place.mutable_circle()->set_radius_km(radius_km);
  return place;
}

// The reference's answer for a place: every matching id, ascending.
std::vector<std::string> ReferenceMatch(const Reference& ref, const riskd::v1::Place& place) {
  std::vector<std::string> ids;
  for (const auto& [id, e] : ref) {
    bool in = false;
    if (place.has_circle()) {
      const engine::GeoPoint center{place.circle().center().lat(), place.circle().center().lon()};
      in = e.location && engine::GreatCircleKm(*e.location, center) <= place.circle().radius_km();
    } else {
      in = !e.region.empty() && engine::SameRegionCode(e.region, place.region());
    }
    if (in) ids.push_back(id);
  }
  return ids;
}

void ExpectSame(const NodeDirectory& dir, const Reference& ref,
                const std::vector<std::string>& pool, const std::vector<riskd::v1::Place>& places) {
  ASSERT_EQ(dir.size(), ref.size());
  for (const std::string& id : pool) ASSERT_EQ(dir.Has(id), ref.count(id) == 1) << id;
  for (const auto& place : places) {
    const auto want = ReferenceMatch(ref, place);
    const auto got = dir.Match(place, 5);
    ASSERT_EQ(got.count, want.size()) << place.ShortDebugString();
    const std::vector<std::string> first(want.begin(),
                                         want.begin() + std::min<std::size_t>(5, want.size()));
    ASSERT_EQ(got.first_ids, first) << place.ShortDebugString();
  }
}

// Random adds, updates (region and location set, changed, dropped) and
// removals against a std::map: every lookup and every place match agrees,
// through index growth, rows moved by removals and arena compactions.
TEST(NodeDirectoryTest, AgreesWithAReferenceMapThroughAddsUpdatesAndRemovals) {
  std::mt19937_64 rng(12);
  std::vector<std::string> pool;
  for (int i = 0; i < 600; ++i) {
    // Ids of varied length, some sharing prefixes.
    pool.push_back("node-" + std::to_string(i) + std::string(rng() % 24, 'x'));
  }
  const std::vector<std::string> regions = {"", "JP", "jp", "US-TX", "DE"};
  const std::vector<riskd::v1::Place> places = {Region("JP"),         Region("us-tx"),
                                                Region("DE"),         Region("FR"),
                                                Circle(35, 139, 300), Circle(0, 0, 20000)};
  auto random_expected = [&] {
    Expected e;
    e.region = regions[rng() % regions.size()];
    if (rng() % 3 != 0) {
      e.location = engine::GeoPoint{static_cast<double>(rng() % 180) - 89.5,
                                    static_cast<double>(rng() % 360) - 179.5};
      if (rng() % 4 == 0) e.location = engine::GeoPoint{35.5, 139.5};  // near the circle
    }
    return e;
  };
  NodeDirectory dir;
  Reference ref;
  std::size_t compactions = 0;
  for (int round = 0; round < 40; ++round) {
    // Alternate growing and shrinking phases, so rows are removed in bulk.
    const bool shrinking = round % 4 == 3;
    for (int op = 0; op < 400; ++op) {
      const std::string& id = pool[rng() % pool.size()];
      riskd::v1::NetworkChange change;
      const auto kind = rng() % 10;
      if (shrinking ? kind < 7 : kind < 2) {
        change.set_remove_node(id);
        ref.erase(id);
      } else if (kind < 6 || !ref.count(id)) {
        const Expected e = random_expected();
        *change.mutable_add_node() = Spec(id, e);
        ref[id] = e;
      } else {
        const Expected e = random_expected();
        *change.mutable_update_node() = Spec(id, e);
        ref[id] = e;
      }
      const std::size_t arena_before = dir.arena_bytes();
      dir.Apply(change);
      if (dir.arena_bytes() < arena_before) ++compactions;
    }
    ExpectSame(dir, ref, pool, places);
    // The arena holds at most twice the live ids' bytes (plus the id just
    // removed before a compaction).
    std::size_t live = 0;
    for (const auto& [id, e] : ref) live += id.size();
    EXPECT_LE(dir.arena_bytes(), 2 * live + 64);
  }
  EXPECT_GT(compactions, 0u);
  // An update of an id that is not there changes nothing.
  riskd::v1::NetworkChange update;
  *update.mutable_update_node() = Spec("never-added", {"JP", std::nullopt});
  dir.Apply(update);
  EXPECT_FALSE(dir.Has("never-added"));
  ExpectSame(dir, ref, pool, places);
  // Everything removed, then added again.
  for (const auto& [id, e] : ref) {
    riskd::v1::NetworkChange remove;
    remove.set_remove_node(id);
    dir.Apply(remove);
  }
  ref.clear();
  ExpectSame(dir, ref, pool, places);
  EXPECT_EQ(dir.arena_bytes(), 0u);
  for (int i = 0; i < 100; ++i) {
    const Expected e = random_expected();
    riskd::v1::NetworkChange add;
    *add.mutable_add_node() = Spec(pool[i], e);
    dir.Apply(add);
    ref[pool[i]] = e;
  }
  ExpectSame(dir, ref, pool, places);
}

TEST(NodeDirectoryTest, StartsFromTheNetworksAliveNodesAndCopiesAreIndependent) {
  engine::Network net;
  for (const char* id : {"a", "b", "c", "d"}) {
    engine::NodeAttributes attrs;
    attrs.id = id;
    attrs.region = std::string(id) == "b" ? "" : "JP";
    if (std::string(id) != "c") attrs.location = engine::GeoPoint{35, 139};
    ASSERT_TRUE(net.AddNode(attrs).ok());
  }
  ASSERT_TRUE(net.RemoveNode("d").ok());
  net.Compact();
  NodeDirectory dir(net);
  EXPECT_EQ(dir.size(), 3u);
  EXPECT_TRUE(dir.Has("a"));
  EXPECT_FALSE(dir.Has("d"));
  EXPECT_FALSE(dir.Has(""));
  EXPECT_EQ(dir.Match(Region("jp"), 10).first_ids, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(dir.Match(Circle(35, 139, 1), 10).first_ids, (std::vector<std::string>{"a", "b"}));
  // The ingest thread keeps a copy before a batch of network changes.
  const NodeDirectory before = dir;
  riskd::v1::NetworkChange remove;
  remove.set_remove_node("a");
  dir.Apply(remove);
  EXPECT_FALSE(dir.Has("a"));
  EXPECT_TRUE(before.Has("a"));
  EXPECT_EQ(before.Match(Region("JP"), 10).count, 2u);
  EXPECT_EQ(dir.Match(Region("JP"), 10).count, 1u);
}

}  // namespace
}  // namespace riskd::connectors
