#include "connectors/feeds/gdacs_rss_adapter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "connectors/testing/test_util.h"

namespace riskd::connectors {
namespace {

using testing::ReadDataFile;

Result<FeedBatch> ParseFile(const char* name) {
  return GdacsRssAdapter().Parse(ReadDataFile(std::string("gdacs/") + name));
}

const riskd::v1::Disruption* Find(const FeedBatch& batch, const std::string& event_id) {
  for (const auto& e : batch.envelopes) {
    if (e.event_id() == event_id) return &e.disruption();
  }
  return nullptr;
}

TEST(GdacsRssAdapterTest, CurrentFeedCycloneEarthquakesAndDroughts) {
  auto batch = ParseFile("gdacs-rss.xml");
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->entries, 16u);
  EXPECT_EQ(batch->envelopes.size(), 16u);
  const auto& first = batch->envelopes[0];
  EXPECT_EQ(first.event_id(), "gdacs:TC1000643:1");
  EXPECT_EQ(first.occurred_at().seconds(), 1577620800);  // Sun, 29 Dec 2019 12:00:00 GMT
  const auto& calvinia = first.disruption();
  EXPECT_EQ(calvinia.hazard(), riskd::v1::HAZARD_STORM);
  EXPECT_DOUBLE_EQ(calvinia.severity(), 0.2);  // Green
  EXPECT_DOUBLE_EQ(calvinia.place().circle().center().lat(), -19.4);
  EXPECT_DOUBLE_EQ(calvinia.place().circle().center().lon(), 59.8);
  EXPECT_DOUBLE_EQ(calvinia.place().circle().radius_km(), 100.0);
  EXPECT_EQ(calvinia.feed_event_id(), "TC1000643");
  int droughts = 0;
  for (const auto& e : batch->envelopes)
    droughts += e.disruption().hazard() == riskd::v1::HAZARD_DROUGHT;
  EXPECT_EQ(droughts, 11);
}

TEST(GdacsRssAdapterTest, DroughtAreaBecomesAnEqualAreaDisc) {
  auto batch = ParseFile("gdacs-rss-7d.xml");
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->envelopes.size(), 115u);
  // Southern Africa drought, episode 43: "... drought in 1775934 km2".
  const auto* drought = Find(*batch, "gdacs:DR1012728:43");
  ASSERT_NE(drought, nullptr);
  EXPECT_EQ(drought->hazard(), riskd::v1::HAZARD_DROUGHT);
  EXPECT_NEAR(drought->place().circle().radius_km(), std::sqrt(1775934 / std::numbers::pi), 1e-9);
}

TEST(GdacsRssAdapterTest, RepeatedItemsAreSkippedAndDeepQuakesShrink) {
  // The 2016-04-09 snapshot lists three flood items twice.
  auto batch = ParseFile("gdacs_rss_2016-04-09.xml");
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->entries, 23u);
  EXPECT_EQ(batch->envelopes.size(), 20u);
  ASSERT_EQ(batch->skipped.size(), 3u);
  EXPECT_NE(batch->skipped[0].reason.find("repeats event gdacs:FL"), std::string::npos);
  // Red alert, "Magnitude 6.7M, Depth:55km" in India (Imphal, 2016-01-03).
  const auto* imphal = Find(*batch, "gdacs:EQ1077755:1114155");
  ASSERT_NE(imphal, nullptr);
  EXPECT_DOUBLE_EQ(imphal->severity(), 0.9);
  const double reach = std::pow(10.0, 0.4 * 6.7 - 0.8);
  EXPECT_NEAR(imphal->place().circle().radius_km(), std::sqrt(reach * reach - 55.0 * 55.0), 1e-9);
  EXPECT_DOUBLE_EQ(imphal->place().circle().center().lat(), 24.8339);
  const auto* flood = Find(*batch, "gdacs:FL4309:2");
  ASSERT_NE(flood, nullptr);
  EXPECT_EQ(flood->hazard(), riskd::v1::HAZARD_FLOOD);
  EXPECT_DOUBLE_EQ(flood->severity(), 0.7);
  EXPECT_DOUBLE_EQ(flood->place().circle().radius_km(), 150.0);
}

TEST(GdacsRssAdapterTest, UnknownEventTypeIsRejectedTheRestKept) {
  auto batch = ParseFile("gdacs_rss_archive_orange_2012-2016.xml");
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->entries, 100u);
  EXPECT_EQ(batch->envelopes.size(), 99u);
  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_EQ(batch->rejected[0].feed_id, "EQx1028861");
  EXPECT_EQ(batch->rejected[0].reason, "unknown event type 'EQx'");
  auto day = ParseFile("gdacs-rss-24h.xml");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->envelopes.size(), 21u);

  EXPECT_FALSE(GdacsRssAdapter().Parse("<rss><channel>").ok());
  EXPECT_FALSE(GdacsRssAdapter().Parse("<feed/>").ok());
  auto no_point = GdacsRssAdapter().Parse(
      "<rss "
      "xmlns:gdacs=\"http://www.gdacs.org\"><channel><item><gdacs:eventtype>EQ</gdacs:eventtype>"
      "<gdacs:eventid>1</gdacs:eventid><gdacs:alertlevel>Red</gdacs:alertlevel></item></channel></"
      "rss>");
  ASSERT_TRUE(no_point.ok());
  ASSERT_EQ(no_point->rejected.size(), 1u);
  EXPECT_EQ(no_point->rejected[0].reason, "missing or invalid geo:Point");

  // A date ingest cannot take (before 1970, found by the fuzzer) rejects the
  // item with ingest's reason.
  auto ancient = GdacsRssAdapter().Parse(
      "<rss xmlns:gdacs=\"http://www.gdacs.org\" "
      "xmlns:geo=\"http://www.w3.org/2003/01/geo/wgs84_pos#\">"
      "<channel><item><gdacs:eventtype>FL</gdacs:eventtype><gdacs:eventid>4315</gdacs:eventid>"
      "<gdacs:episodeid>2</gdacs:episodeid><gdacs:alertlevel>Orange</gdacs:alertlevel>"
      "<gdacs:fromdate>Tue, 01 Dec 1520 00:00:00 GMT</gdacs:fromdate>"
      "<geo:Point><geo:lat>-26.037</geo:lat><geo:long>-55.848</geo:long></geo:Point>"
      "</item></channel></rss>");
  ASSERT_TRUE(ancient.ok()) << ancient.status().ToString();
  EXPECT_TRUE(ancient->envelopes.empty());
  ASSERT_EQ(ancient->rejected.size(), 1u);
  EXPECT_EQ(ancient->rejected[0].feed_id, "FL4315");
  EXPECT_EQ(ancient->rejected[0].reason,
            "invalid_argument: occurred_at: is not a valid timestamp (1970-01-01 .. 9999-12-31)");
}

}  // namespace
}  // namespace riskd::connectors
