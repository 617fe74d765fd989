#include "engine/geo.h"

#include <gtest/gtest.h>

namespace riskd::engine {
namespace {

TEST(GeoTest, GreatCircleDistancesOfKnownCityPairs) {
  // London (51.5074, -0.1278) to Paris (48.8566, 2.3522): about 343.5 km.
  EXPECT_NEAR(GreatCircleKm({51.5074, -0.1278}, {48.8566, 2.3522}), 343.5, 1.0);
  // Rosetta Code's haversine example, Nashville BNA to Los Angeles LAX:
  // 2887.2599506 km on a 6372.8 km sphere, scaled here to the IUGG radius.
  EXPECT_NEAR(GreatCircleKm({36.12, -86.67}, {33.94, -118.40}),
              2887.2599506 * kEarthRadiusKm / 6372.8, 1e-6);
  // A quarter of the equator.
  EXPECT_NEAR(GreatCircleKm({0, 0}, {0, 90}), kEarthRadiusKm * 3.14159265358979 / 2, 1e-6);
  // Across the antimeridian: 1 degree of longitude at the equator.
  EXPECT_NEAR(GreatCircleKm({0, 179.5}, {0, -179.5}), 111.19, 0.01);
}

TEST(GeoTest, PointInPolygonIncludingTheAntimeridian) {
  GeoPolygon square{{{0, 0}, {0, 10}, {10, 10}, {10, 0}}};
  EXPECT_TRUE(PointInPolygon({5, 5}, square));
  EXPECT_FALSE(PointInPolygon({5, 11}, square));
  EXPECT_FALSE(PointInPolygon({-1, 5}, square));
  GeoPolygon fiji{{{-15, 175}, {-15, -175}, {-20, -175}, {-20, 175}}};
  EXPECT_TRUE(PointInPolygon({-17, 179}, fiji));
  EXPECT_TRUE(PointInPolygon({-17, -178}, fiji));
  EXPECT_FALSE(PointInPolygon({-17, 170}, fiji));
}

TEST(GeoTest, NodesInPlaceByCirclePolygonAndRegion) {
  Network net;
  auto add = [&](const char* id, double lat, double lon, const char* region) {
    NodeAttributes a;
    a.id = id;
    a.location = GeoPoint{lat, lon};
    a.region = region;
    ASSERT_TRUE(net.AddNode(a).ok());
  };
  add("sendai", 38.2682, 140.8694, "JP");
  add("tokyo", 35.6762, 139.6503, "JP");
  add("austin", 30.2672, -97.7431, "US-TX");
  NodeAttributes unlocated;
  unlocated.id = "nowhere";
  unlocated.region = "jp";
  ASSERT_TRUE(net.AddNode(unlocated).ok());
  // 2011 Tohoku epicentre (38.297, 142.373), 200 km: Sendai (~130 km) only.
  EXPECT_EQ(NodesInPlace(net, GeoCircle{{38.297, 142.373}, 200}), (std::vector<NodeIndex>{0}));
  EXPECT_EQ(NodesInPlace(net, GeoCircle{{38.297, 142.373}, 400}), (std::vector<NodeIndex>{0, 1}));
  GeoPolygon texas{{{25.8, -106.6}, {36.5, -106.6}, {36.5, -93.5}, {25.8, -93.5}}};
  EXPECT_EQ(NodesInPlace(net, texas), (std::vector<NodeIndex>{2}));
  EXPECT_EQ(NodesInPlace(net, RegionCode{"jp"}), (std::vector<NodeIndex>{0, 1, 3}));
  EXPECT_FALSE(ValidatePlace(GeoCircle{{95, 0}, 10}).ok());
  EXPECT_FALSE(ValidatePlace(GeoCircle{{0, 0}, -1}).ok());
  EXPECT_FALSE(ValidatePlace(GeoPolygon{{{0, 0}, {1, 1}}}).ok());
  EXPECT_FALSE(ValidatePlace(RegionCode{""}).ok());
}

}  // namespace
}  // namespace riskd::engine
