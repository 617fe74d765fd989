#include "connectors/feeds/nws_cap_adapter.h"

#include <gtest/gtest.h>

#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::ReadDataFile;

TEST(NwsCapAdapterTest, AtomFeedPolygonsBecomeDisruptions) {
  auto batch = NwsCapAdapter().Parse(ReadDataFile("nws_cap/nws_atom_feed_example.xml"));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  // 163 entries: 99 with polygons; 19 of severity Unknown and 45 zone-coded
  // alerts without a polygon are skipped.
  EXPECT_EQ(batch->entries, 163u);
  EXPECT_EQ(batch->envelopes.size(), 99u);
  EXPECT_EQ(batch->skipped.size(), 64u);
  EXPECT_TRUE(batch->rejected.empty());
  int unknown = 0, zone = 0;
  for (const auto& s : batch->skipped) {
    unknown += s.reason == "severity Unknown";
    zone += s.reason == "no polygon (zone-coded alert)";
  }
  EXPECT_EQ(unknown, 19);
  EXPECT_EQ(zone, 45);

  // Entry 4: Special Weather Statement, Minor / Expected / Observed.
  ASSERT_EQ(batch->envelope_index[0], 4u);
  const auto& env = batch->envelopes[0];
  EXPECT_EQ(env.event_id(),
            "nws:AL125AB652A29C.SpecialWeatherStatement.125AB652C5C4AL.MOBSPSMOB."
            "0c429569b1ae326d9ec51df9303d57a0");
  EXPECT_EQ(env.occurred_at().seconds(), 1534373700);  // 2018-08-15T17:55:00-05:00
  const auto& d = env.disruption();
  EXPECT_EQ(d.hazard(), riskd::v1::HAZARD_OTHER);
  EXPECT_NEAR(d.severity(), 0.1 * 0.8 * 1.0, 1e-12);
  EXPECT_EQ(d.expected_duration().seconds(), 50 * 60);
  ASSERT_EQ(d.place().polygon().vertices_size(), 8);  // closing vertex dropped
  EXPECT_DOUBLE_EQ(d.place().polygon().vertices(0).lat(), 31.62);
  EXPECT_DOUBLE_EQ(d.place().polygon().vertices(0).lon(), -86.35);
  EXPECT_DOUBLE_EQ(d.place().polygon().vertices(7).lon(), -86.4);
}

TEST(NwsCapAdapterTest, FactorsAndHazardKeywords) {
  EXPECT_EQ(CapSeverityImpact("Extreme"), 0.9);
  EXPECT_FALSE(CapSeverityImpact("Unknown"));
  EXPECT_EQ(CapUrgencyTiming("Future"), 0.5);
  EXPECT_FALSE(CapUrgencyTiming("Past"));
  EXPECT_EQ(CapCertaintyProbability("Possible"), 0.4);
  EXPECT_FALSE(CapCertaintyProbability("Unlikely"));
  EXPECT_EQ(CapEventHazard("Flash Flood Warning"), riskd::v1::HAZARD_FLOOD);
  EXPECT_EQ(CapEventHazard("Red Flag Warning"), riskd::v1::HAZARD_WILDFIRE);
  EXPECT_EQ(CapEventHazard("Severe Thunderstorm Warning"), riskd::v1::HAZARD_STORM);
  EXPECT_EQ(CapEventHazard("Heat Advisory"), riskd::v1::HAZARD_OTHER);
}

TEST(NwsCapAdapterTest, StandaloneCapAlertWithoutPolygonIsSkipped) {
  auto batch = NwsCapAdapter().Parse(ReadDataFile("nws_cap/cap_amber_alert_example.xml"));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->entries, 1u);
  EXPECT_TRUE(batch->envelopes.empty());
  ASSERT_EQ(batch->skipped.size(), 1u);
  EXPECT_EQ(batch->skipped[0].feed_id, "KAR0-0306112239-SW");
  EXPECT_EQ(batch->skipped[0].reason, "no polygon (area given by geocodes only)");
}

TEST(NwsCapAdapterTest, StandaloneCapAlertPolygonsAndMalformedEntries) {
  const std::string alert =
      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>X-1</identifier>"
      "<sent>2020-01-01T00:00:00Z</sent><status>Actual</status><msgType>Alert</msgType>"
      "<info><event>Tornado Warning</event><urgency>Immediate</urgency>"
      "<severity>Extreme</severity><certainty>Observed</certainty>"
      "<area><polygon>1,1 1,2 2,2 1,1</polygon><polygon>5,5 5,6 6,6 5,5</polygon></area>"
      "</info></alert>";
  auto batch = NwsCapAdapter().Parse(alert);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->envelopes.size(), 2u);
  EXPECT_EQ(batch->envelopes[1].event_id(), "cap:X-1/2");
  EXPECT_EQ(batch->envelopes[0].disruption().hazard(), riskd::v1::HAZARD_STORM);
  EXPECT_DOUBLE_EQ(batch->envelopes[0].disruption().severity(), 0.9);
  EXPECT_EQ(batch->envelopes[0].occurred_at().seconds(), 1577836800);

  std::string feed = ReadDataFile("nws_cap/nws_atom_feed_example.xml");
  const std::string good = "<cap:polygon>31.62,-86.35 31.59,-86.5";
  const auto at = feed.find(good);
  ASSERT_NE(at, std::string::npos);
  feed.replace(at, good.size(), "<cap:polygon>31.62;-86.35 31.59,-86.5");
  const std::string actual = "<cap:severity>Severe</cap:severity>";
  feed.replace(feed.find(actual), actual.size(), "<cap:severity>Catastrophic</cap:severity>");
  auto damaged = NwsCapAdapter().Parse(feed);
  ASSERT_TRUE(damaged.ok());
  ASSERT_EQ(damaged->rejected.size(), 2u);
  EXPECT_EQ(damaged->envelopes.size() + damaged->rejected.size() + damaged->skipped.size(), 163u);
  bool polygon_reason = false, severity_reason = false;
  for (const auto& r : damaged->rejected) {
    polygon_reason |= r.reason.find("polygon point '31.62;-86.35'") != std::string::npos;
    severity_reason |= r.reason == "unknown severity 'Catastrophic'";
  }
  EXPECT_TRUE(polygon_reason);
  EXPECT_TRUE(severity_reason);
  EXPECT_FALSE(NwsCapAdapter().Parse("<html/>").ok());
}

}  // namespace
}  // namespace riskd::connectors
