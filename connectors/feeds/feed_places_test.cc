// The demo's geography end to end on real data: the SupplyGraph network with
// its illustrative Bangladesh locations (config/demo/supplygraph_locations.csv)
// and the GDACS 2012-2016 archive; each Disruption's place is mapped to the
// nodes inside it with engine::NodesInPlace.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "connectors/feeds/gdacs_rss_adapter.h"
#include "connectors/importers/importer.h"
#include "connectors/testing/test_util.h"
#include "engine/geo.h"

namespace riskd::connectors {
namespace {

using testing::DataPath;

engine::Place ToEnginePlace(const riskd::v1::Place& place) {
  if (place.has_circle()) {
    return engine::GeoCircle{{place.circle().center().lat(), place.circle().center().lon()},
                             place.circle().radius_km()};
  }
  if (place.has_polygon()) {
    engine::GeoPolygon polygon;
    for (const auto& v : place.polygon().vertices()) polygon.vertices.push_back({v.lat(), v.lon()});
    return polygon;
  }
  return engine::RegionCode{place.region()};
}

std::set<std::string> Hit(const engine::Network& net, const riskd::v1::Disruption& d) {
  std::set<std::string> ids;
  for (auto n : engine::NodesInPlace(net, ToEnginePlace(d.place()))) ids.insert(net.node(n).id);
  return ids;
}

// Feed event id -> ids of the nodes its place covers, for events that cover any.
std::map<std::string, std::set<std::string>> HitsOfFeed(const engine::Network& net,
                                                        const std::string& file) {
  std::map<std::string, std::set<std::string>> hits;
  auto batch = GdacsRssAdapter().Parse(testing::ReadDataFile(file));
  EXPECT_TRUE(batch.ok());
  if (!batch.ok()) return hits;
  for (const auto& env : batch->envelopes) {
    auto ids = Hit(net, env.disruption());
    if (!ids.empty()) hits[env.disruption().feed_event_id()] = ids;
  }
  return hits;
}

TEST(FeedPlacesTest, GdacsEventsOverTheSupplyGraphSites) {
  riskd::v1::NetworkSource source;
  source.mutable_supplygraph()->set_directory(DataPath("supplygraph"));
  source.set_locations_csv(DataPath("../config/demo/supplygraph_locations.csv"));
  auto net = ImportNetwork(source, "");
  ASSERT_TRUE(net.ok()) << net.status().ToString();

  // Two of the archive's 99 events touch the Bangladesh sites.
  auto archive = HitsOfFeed(*net, "gdacs/gdacs_rss_archive_orange_2012-2016.xml");
  ASSERT_EQ(archive.size(), 2u) << ::testing::PrintToString(archive);
  // Tropical storm TWO-15 at (22.5, 91.8), 100 km: Chittagong (16 km) only.
  EXPECT_EQ(archive["TC1000189"],
            (std::set<std::string>{"plant-1911", "plant-2111", "storage-1130"}));
  // Flood FL4178 at (24.566, 90.633), 150 km: seven of the thirteen sites
  // (Mymensingh 29 km ... Comilla 135 km; site 1 has one plant).
  EXPECT_EQ(archive["FL4178"].size(), 7u * 3 - 1);
  EXPECT_EQ(archive["FL4178"].count("storage-1430"), 1u);
  EXPECT_EQ(archive["FL4178"].count("storage-1130"), 0u);  // Chittagong, 272 km

  // Cyclone Mahasen (2016-04-09 snapshot) at (23.0, 91.0), 100 km: Comilla
  // 54 km, Barishal 74 km, Narayanganj 86 km; Dhaka is 105 km away.
  auto snapshot = HitsOfFeed(*net, "gdacs/gdacs_rss_2016-04-09.xml");
  EXPECT_EQ(snapshot["TC37639"],
            (std::set<std::string>{"plant-1901", "storage-130", "plant-1915", "plant-2115",
                                   "storage-1530", "plant-1921", "plant-2121", "storage-2130"}));
}

}  // namespace
}  // namespace riskd::connectors
