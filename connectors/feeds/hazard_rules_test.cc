#include "connectors/feeds/hazard_rules.h"

#include <gtest/gtest.h>

#include <cmath>

namespace riskd::connectors {
namespace {

TEST(HazardRulesTest, QuakeRadiusGrowsWithMagnitudeAndShrinksWithDepth) {
  const QuakeRule rule;
  // R(7) = 10^(2.8 - 0.8) = 100 km; at 60 km depth the surface disc is 80 km.
  EXPECT_NEAR(QuakeRadiusKm(7.0, 0, rule), 100.0, 1e-9);
  EXPECT_NEAR(QuakeRadiusKm(7.0, 60, rule), 80.0, 1e-9);
  EXPECT_NEAR(QuakeRadiusKm(6.0, 0, rule), std::pow(10.0, 1.6), 1e-9);
  EXPECT_NEAR(QuakeRadiusKm(8.0, 0, rule), std::pow(10.0, 2.4), 1e-9);
  // M4.5 reaches 10 km: at 24 km depth nothing strong reaches the surface,
  // the floor applies; deep M6.5 (South of Fiji, 600 km) likewise.
  EXPECT_DOUBLE_EQ(QuakeRadiusKm(4.5, 23.97, rule), 10.0);
  EXPECT_DOUBLE_EQ(QuakeRadiusKm(6.5, 600, rule), 10.0);
  // Absurd magnitudes from a broken feed: at most the whole Earth, never
  // inf or NaN (usgs_geojson_fuzzer's finding).
  EXPECT_DOUBLE_EQ(QuakeRadiusKm(1e300, 0, rule), 20037.5);
  EXPECT_DOUBLE_EQ(QuakeRadiusKm(500, 10, rule), std::sqrt(20037.5 * 20037.5 - 100));
  EXPECT_DOUBLE_EQ(QuakeRadiusKm(-1e300, 0, rule), 10.0);
  EXPECT_DOUBLE_EQ(QuakeRadiusKm(7.0, std::nan(""), rule), 100.0);
  EXPECT_LT(QuakeRadiusKm(6.0, 0, rule), QuakeRadiusKm(6.5, 0, rule));
}

TEST(HazardRulesTest, SeverityFromMagnitudeAndAlertColours) {
  const QuakeRule rule;
  EXPECT_DOUBLE_EQ(QuakeSeverity(4.5, rule), 0.05);  // floor
  EXPECT_NEAR(QuakeSeverity(6.0, rule), 0.3, 1e-12);
  EXPECT_NEAR(QuakeSeverity(7.0, rule), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(QuakeSeverity(9.1, rule), 0.9);  // cap
  EXPECT_EQ(AlertColourSeverity("green"), 0.2);
  EXPECT_EQ(AlertColourSeverity("Yellow"), 0.4);
  EXPECT_EQ(AlertColourSeverity("Orange"), 0.7);
  EXPECT_EQ(AlertColourSeverity("RED"), 0.9);
  EXPECT_FALSE(AlertColourSeverity("purple").has_value());
}

}  // namespace
}  // namespace riskd::connectors
